import { defineConfig } from 'vite';

/**
 * The dashboard's build: web/ to web/dist, served by the API at /ui/. Preact's JSX runtime through oxc; no
 * inline script or style anywhere in the output, so the page runs under a CSP without 'unsafe-inline'.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Chromium, Firefox and Safari all preload modules themselves: no polyfill in the bundle.
    modulePreload: { polyfill: false },
    // Nothing is inlined as a data: URL into the CSS or the script.
    assetsInlineLimit: 0,
  },
  // `npm run dev:ui`: the page with live reload, the API it calls from `npm start` on its default port.
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
