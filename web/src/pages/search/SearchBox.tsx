/**
 * The search field: an ARIA 1.2 combobox with a listbox of suggestions (people, then hashtags).
 * Arrow keys move through the options, Enter opens the chosen one or searches the text, Escape closes the
 * list (a second Escape clears the field). Focus stays in the field; the active option is
 * aria-activedescendant.
 */
import { useEffect, useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { useNavigate } from "react-router-dom";
import { describe } from "../../api/errors";
import { Avatar } from "../../components/Avatar";
import { useSuggestions, type Suggestion } from "./useSuggestions";

interface Props {
  initial: string;
  onSearch: (query: string) => void;
}

function Option({ item }: { item: Suggestion }) {
  if (item.kind === "person") {
    const { person } = item;
    return (
      <>
        <Avatar username={person.username} src={person.avatar} size={28} />
        <span className="suggestion-text">
          <strong>@{person.username}</strong> <span className="muted">{person.display_name}</span>
        </span>
      </>
    );
  }
  return (
    <>
      <span className="suggestion-icon" aria-hidden="true">
        #
      </span>
      <span className="suggestion-text">#{item.tag.tag}</span>
    </>
  );
}

export function SearchBox({ initial, onSearch }: Props) {
  const navigate = useNavigate();
  const id = useId();
  const listId = `${id}-listbox`;
  const [text, setText] = useState(initial);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const suggestions = useSuggestions(text);
  const items = suggestions.items;
  const expanded = open && items.length > 0;

  useEffect(() => setText(initial), [initial]);
  useEffect(() => setActive(-1), [items]);

  function go(item: Suggestion) {
    setOpen(false);
    navigate(item.to);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const query = text.trim();
    setOpen(false);
    if (query) onSearch(query);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        setOpen(true);
        if (items.length) setActive((index) => (index + 1) % items.length);
        break;
      case "ArrowUp":
        event.preventDefault();
        setOpen(true);
        if (items.length) setActive((index) => (index <= 0 ? items.length - 1 : index - 1));
        break;
      case "Enter": {
        const chosen = expanded ? items[active] : undefined;
        if (chosen) {
          event.preventDefault();
          go(chosen);
        }
        break; // otherwise the form submits: a full search
      }
      case "Escape":
        event.preventDefault();
        if (expanded) setOpen(false);
        else setText("");
        setActive(-1);
        break;
    }
  }

  const settled = !suggestions.loading && suggestions.query === text.trim() && text.trim() !== "";
  let status = "";
  if (suggestions.error) status = describe(suggestions.error);
  else if (settled && open) {
    status = items.length
      ? `${items.length} suggestion${items.length === 1 ? "" : "s"}: use the up and down arrows to choose.`
      : "No suggestions. Press Enter to search.";
  }

  return (
    <form role="search" className="search-box" onSubmit={submit}>
      <label htmlFor={`${id}-input`} className="search-label">
        Search
      </label>
      <div className="search-row">
        <div className="combobox">
          <input
            id={`${id}-input`}
            type="text"
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={expanded}
            aria-controls={listId}
            aria-activedescendant={expanded && items[active] ? `${id}-${items[active].id}` : undefined}
            aria-describedby={`${id}-status`}
            autoComplete="off"
            spellCheck={false}
            enterKeyHint="search"
            placeholder="People, #tags or words"
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              setOpen(true);
            }}
            onFocus={() => setOpen(true)}
            onBlur={() => setOpen(false)}
            onKeyDown={onKeyDown}
          />
          <ul id={listId} role="listbox" aria-label="Suggestions" className="suggestions" hidden={!expanded}>
            {items.map((item, index) => (
              <li
                key={item.id}
                id={`${id}-${item.id}`}
                role="option"
                aria-selected={index === active}
                className={index === active ? "suggestion active" : "suggestion"}
                // mousedown, not click: the field keeps focus (blur would close the list first)
                onMouseDown={(event) => {
                  event.preventDefault();
                  go(item);
                }}
                onMouseEnter={() => setActive(index)}
              >
                <Option item={item} />
              </li>
            ))}
          </ul>
        </div>
        <button type="submit" className="search-submit">
          <svg className="search-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" strokeWidth="2.5" />
            <path d="M15.5 15.5 21 21" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" />
          </svg>
          <span className="visually-hidden">Search everything</span>
        </button>
      </div>
      <p id={`${id}-status`} className={suggestions.error ? "field-error" : "visually-hidden"} aria-live="polite">
        {status}
      </p>
    </form>
  );
}
