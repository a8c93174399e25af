import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to the local platform (`make dev`, port 8000) so the app stays same-origin.
export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    sourcemap: true,
    // Hashed names under assets/ are what the CDN caches for a year (stacks/web.py HASHED).
    assetsDir: "assets",
  },
  server: {
    proxy: {
      "/v1": "http://127.0.0.1:8000",
      "/config.json": "http://127.0.0.1:8000",
    },
  },
});
