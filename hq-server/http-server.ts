import express from 'express';
import type { Log, Sql } from './database';

export function createHttpApp(deps: { sql: Sql; log: Log }): express.Express {
  const app = express();
  app.get('/api/v1/health', async (_req, res) => {
    try {
      await deps.sql`select 1`;
      res.json({ status: 'ok', database: 'up' });
    } catch {
      res.status(503).json({ status: 'degraded', database: 'down' });
    }
  });
  return app;
}
