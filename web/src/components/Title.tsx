/** A page's heading and the document title, so screen readers and tabs say where the person is. */
import { useEffect, type ReactNode } from "react";

export function Title({ children, text, actions }: { children?: ReactNode; text: string; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${text} · Social`;
  }, [text]);
  return (
    <div className="page-title">
      <h1>{children ?? text}</h1>
      {actions}
    </div>
  );
}
