import { app, BrowserWindow, shell } from 'electron';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startTerminal, type RunningTerminal } from '../index';

/**
 * Electron main process of a store terminal: starts the same terminal service as
 * `onecard terminal` and shows its cashier page. The page talks to the service only through
 * the local API, exactly as in a browser; the window gets no Node.js.
 *
 * Settings come from the environment: ONECARD_DATA_DIR (default: Electron's userData folder),
 * ONECARD_HQ_ADDRESS (host:port of HQ's gRPC), ONECARD_ENROLLMENT_CODE (first start only),
 * ONECARD_DEVICES (the lane's devices.json; without it the till runs without devices).
 */

let terminal: RunningTerminal | null = null;

async function createWindow(): Promise<void> {
  const hqAddress = process.env.ONECARD_HQ_ADDRESS;
  if (!hqAddress) throw new Error('set ONECARD_HQ_ADDRESS to host:port of HQ');
  terminal = await startTerminal({
    dataDir: process.env.ONECARD_DATA_DIR ?? join(app.getPath('userData'), 'terminal'),
    hqAddress,
    enrollmentCode: process.env.ONECARD_ENROLLMENT_CODE,
    log: (msg) => console.log(`[terminal] ${msg}`),
  });
  const origin = new URL(terminal.uiUrl).origin;
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'OneCard',
    webPreferences: {
      preload: fileURLToPath(new URL('./preload.js', import.meta.url)),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  // The till shows the local cashier page and nothing else; other links open outside.
  win.webContents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== origin) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The keyboard-first cashier app; its devices come from devices.json (ONECARD_DEVICES).
  await win.loadURL(terminal.appUrl);
}

app.whenReady().then(createWindow).catch((e: unknown) => {
  console.error(`OneCard terminal could not start: ${e instanceof Error ? e.message : String(e)}`);
  app.exit(1);
});

app.on('window-all-closed', () => {
  const running = terminal;
  terminal = null;
  void (running ? running.stop() : Promise.resolve()).finally(() => app.quit());
});
