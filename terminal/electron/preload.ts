import { contextBridge } from 'electron';

/**
 * The only bridge into the cashier page: which shell it runs in. Everything else goes
 * through the local API, the same as in a browser.
 */
contextBridge.exposeInMainWorld('onecardShell', { kind: 'electron', versions: { electron: process.versions.electron ?? '' } });
