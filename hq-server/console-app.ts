import { fileURLToPath } from 'node:url';
import express from 'express';

/**
 * The HQ console at /console/: plain HTML, CSS and JavaScript modules from hq-server/console/,
 * served as they are (no build step). Pages talk only to /api/v1, which enforces each operator's
 * scope; the console shows what the API returns.
 */
export const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));

export function consoleAssets(): express.Router {
  const r = express.Router();
  r.use((_req, res, next) => {
    // No inline scripts and nothing from elsewhere: the page runs only its own modules.
    res.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    res.set('Cache-Control', 'no-cache');
    next();
  });
  r.use(express.static(CONSOLE_DIR, { index: 'index.html', extensions: false, fallthrough: true, dotfiles: 'ignore' }));
  return r;
}
