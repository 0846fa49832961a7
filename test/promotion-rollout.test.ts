import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTime } from '../core/time';
import { demoChain } from '../fixtures/data/demo-chain';
import { createEnrollmentCode, seedChain, startHq, type RunningHq } from '../hq-server/index';
import { startTerminal, type RunningTerminal } from '../terminal/index';
import { signInTill, tillCredentials } from '../terminal/testing-staff';

/**
 * The promotion rollout, across real parts (embedded PostgreSQL, gRPC over loopback, two
 * terminals with their SQLite files, HQ's REST API): a regional manager writes a promotion, a
 * second operator approves it, and a terminal in that region prices with it within 2 seconds
 * of approval — carried by the Subscribe nudge and the pull it triggers, not by a timer (the
 * terminals' background sync is set to ten minutes, so arriving at all before that proves the
 * nudge). The time from approval to the till pricing with it is printed (0.04–0.3 s here), not
 * asserted: no test depends on the machine's speed. A terminal in another region never gets it.
 */

const COLA = '6901028001014'; // SKU-0001, ¥3.00
const COLA_PROMO_PRICE = 199;
/** The live target; printed next to the measured time. */
const ROLLOUT_TARGET_MS = 2_000;

describe('a promotion rolls out from HQ to the terminals of its region only', () => {
  let hqDir: string;
  let eastDir: string;
  let southDir: string;
  let hq: RunningHq;
  let east: RunningTerminal;
  let south: RunningTerminal;

  beforeAll(async () => {
    hqDir = await mkdtemp(join(tmpdir(), 'onecard-promo-hq-'));
    eastDir = await mkdtemp(join(tmpdir(), 'onecard-promo-east-'));
    southDir = await mkdtemp(join(tmpdir(), 'onecard-promo-south-'));
    hq = await startHq({ dataDir: hqDir, httpPort: 0, grpcPort: 0, log: () => {}, jobs: false });
    await seedChain(hq.sql, demoChain);
    east = await startTerminal({ dataDir: eastDir, hqAddress: hq.grpcAddress, enrollmentCode: await createEnrollmentCode(hq.sql, 't-sh-01-1'), syncIntervalMs: 600_000, log: () => {} });
    south = await startTerminal({ dataDir: southDir, hqAddress: hq.grpcAddress, enrollmentCode: await createEnrollmentCode(hq.sql, 't-gz-01-1'), syncIntervalMs: 600_000, log: () => {} });
    // Each till's store manager, from HQ's operator feed: prices baskets and lets them go (a void).
    for (const t of [east, south]) {
      await t.syncNow();
      await signInTill(t.uiUrl, t.token, tillCredentials(demoChain, t.storeId).manager);
    }
  });
  afterAll(async () => {
    await east?.stop();
    await south?.stop();
    await hq?.stop();
    for (const dir of [hqDir, eastDir, southDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function rest(method: string, path: string, token: string | null, body?: unknown) {
    const res = await fetch(new URL(`/api/v1${path}`, hq.httpUrl), {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  }
  const signIn = async (login: string) => (await rest('POST', '/sessions', null, { login, password: 'onecard-demo' })).json.token as string;

  async function till(t: RunningTerminal, method: string, path: string, body?: unknown) {
    const res = await fetch(new URL(path, t.uiUrl), {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as any;
  }
  /** What one cola costs at this till now: a basket priced by its checkout, then let go. */
  async function colaPrice(t: RunningTerminal): Promise<{ totalMinor: number; labels: string[] }> {
    const sale = await till(t, 'POST', '/api/sales');
    const priced = await till(t, 'POST', `/api/sales/${sale.id}/items`, { barcode: COLA });
    await till(t, 'POST', `/api/sales/${sale.id}/cancel`);
    return { totalMinor: priced.totalMinor, labels: (priced.adjustments ?? []).map((a: { label: { zh: string } }) => a.label.zh) };
  }

  it('written by the east regional manager, approved by a second operator, live in the east by the Subscribe nudge (time printed against the 2 s target); never in the south', async () => {
    expect((await colaPrice(east)).totalMinor).toBe(300);
    const manager = await signIn('east.manager');
    const approver = await signIn('admin');

    const draft = await rest('POST', '/promotions', manager, {
      id: 'east-cola-199',
      name: 'Cola 330ml at 1.99',
      nameZh: '可乐限时特价 1.99',
      orgNodeId: 'region-east',
      priority: 10,
      group: 'exclusive',
      validFrom: null,
      validTo: null,
      daysOfWeek: null,
      hours: null,
      perMemberLimit: null,
      budget: null,
      rule: { type: 'specialPrice', items: [{ sku: 'SKU-0001', priceMinor: COLA_PROMO_PRICE }] },
    });
    expect(draft.status).toBe(201);
    expect((await rest('POST', '/promotions/east-cola-199/submit', manager)).json.promotion.status).toBe('pending_approval');
    // Written, not yet approved: the tills do not have it.
    await east.syncNow();
    expect((await colaPrice(east)).totalMinor).toBe(300);
    // The author cannot approve it; another operator with promotion.approve does.
    expect((await rest('POST', '/promotions/east-cola-199/approve', manager)).status).toBe(403);

    const approvedAt = performance.now();
    const approved = await rest('POST', '/promotions/east-cola-199/approve', approver);
    expect(approved.json).toMatchObject({ approvedBy: 'op-admin', promotion: { status: 'active' } });

    // Poll the east till's checkout until it prices with it (the guard only bounds a broken run).
    let seen: { totalMinor: number; labels: string[] } | null = null;
    while (performance.now() - approvedAt < 10_000) {
      const price = await colaPrice(east);
      if (price.totalMinor === COLA_PROMO_PRICE) {
        seen = price;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsedMs = Math.round(performance.now() - approvedAt);
    console.log(`promotion rollout: approved at HQ → priced at the east till in ${elapsedMs} ms (Subscribe nudge → PullChanges; target ${ROLLOUT_TARGET_MS} ms${elapsedMs < ROLLOUT_TARGET_MS ? ', met' : ', NOT met on this run'})`);
    expect(seen, 'the east till never priced with the promotion').not.toBeNull();
    expect(seen!.labels.join(' ')).toContain('可乐');

    // The south till has pulled everything there is and still sells at the list price.
    await south.syncNow();
    expect(await colaPrice(south)).toEqual({ totalMinor: 300, labels: [] });
    const southDb = new Database(join(southDir, 'terminal.sqlite'), { readonly: true });
    try {
      expect(southDb.prepare('SELECT id FROM promotions').all()).toEqual([]);
    } finally {
      southDb.close();
    }

    // Ended by hand at HQ: the east till drops it at the next nudge.
    expect((await rest('POST', '/promotions/east-cola-199/end', manager, { reason: 'test over' })).json.promotion.status).toBe('ended');
    let back = false;
    const endedAt = performance.now();
    while (!back && performance.now() - endedAt < 10_000) {
      back = (await colaPrice(east)).totalMinor === 300;
      if (!back) await new Promise((r) => setTimeout(r, 20));
    }
    expect(back).toBe(true);
  });

  it("a budgeted special: the till draws only on its allotment, HQ counts what the sales drew and tops the allotment up, and the report shows it", async () => {
    const manager = await signIn('east.manager');
    const approver = await signIn('finance');
    const made = await rest('POST', '/promotions', manager, {
      id: 'east-cola-limited',
      name: 'Cola 330ml at 1.00, 12 cans chain-wide',
      nameZh: '可乐限量特价 1.00',
      orgNodeId: 'region-east',
      priority: 5,
      group: 'exclusive',
      validFrom: null,
      validTo: null,
      daysOfWeek: null,
      hours: null,
      perMemberLimit: null,
      budget: { kind: 'quantity', total: 12 },
      rule: { type: 'limitedQuantitySpecial', items: [{ sku: 'SKU-0001', priceMinor: 100 }] },
    });
    expect(made.status).toBe(201);
    await rest('POST', '/promotions/east-cola-limited/submit', manager);
    expect((await rest('POST', '/promotions/east-cola-limited/approve', approver)).json.promotion.status).toBe('active');
    await east.syncNow(); // the pull that tops up its allotment: 12 / (2 × 3 east terminals) = 2

    const sellFiveColas = async () => {
      const sale = await till(east, 'POST', '/api/sales');
      const priced = await till(east, 'POST', `/api/sales/${sale.id}/items`, { barcode: COLA, quantity: 5 });
      await till(east, 'POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: priced.totalMinor });
      await till(east, 'POST', `/api/sales/${sale.id}/complete`);
      return { id: sale.id as string, totalMinor: priced.totalMinor as number };
    };
    expect((await sellFiveColas()).totalMinor).toBe(2 * 100 + 3 * 300);
    await east.syncNow(); // pushes the sale (2 drawn), then the pull tops the allotment up again
    const second = await sellFiveColas();
    expect(second.totalMinor).toBe(2 * 100 + 3 * 300);
    // One can comes back: the customer gets 2.20 (the line's 11.00 over 5), its 0.80 share of the special reversed.
    const refund = await till(east, 'POST', '/api/refunds', { saleId: second.id, lines: [{ lineNo: 1, quantity: 1 }], withReceipt: true });
    expect(refund.refund.totalMinor).toBe(220);
    await east.syncNow();

    const budget = (await rest('GET', '/promotions/east-cola-limited/budget', manager)).json;
    expect(budget).toMatchObject({ total: 12, used: 4 });
    expect(budget.allotted).toBeLessThanOrEqual(12);
    expect(budget.terminals).toEqual([{ terminalId: 't-sh-01-1', allotted: 6, used: 4 }]);

    const today = localTime(Date.now(), 'Asia/Shanghai').date;
    const report = (await rest('GET', `/promotion-reports?from=${today}&to=${today}&promotionId=east-cola-limited`, manager)).json;
    expect(report.rows).toEqual([
      expect.objectContaining({ promotionId: 'east-cola-limited', storeId: 'store-sh-01', day: today, uses: 2, units: 4, discountMinor: 4 * 200, refundedDiscountMinor: 80, salesWith: 2, salesWithMinor: 2 * 1100 }),
    ]);
  });

  it('a coupon issued at HQ is taken at the east till and comes back to HQ used, once', async () => {
    const manager = await signIn('east.manager');
    const made = await rest('POST', '/promotions', manager, {
      id: 'east-voucher-5', name: '5 off 20', nameZh: '满20用5元券', orgNodeId: 'region-east', priority: 0, group: 'stackable',
      validFrom: null, validTo: null, daysOfWeek: null, hours: null, perMemberLimit: null, budget: null,
      rule: { type: 'coupon', benefit: { kind: 'amount', amountMinor: 500 }, minSpendMinor: 2000, maxPerBasket: 1 },
    });
    expect(made.status).toBe(201);
    await rest('POST', '/promotions/east-voucher-5/submit', manager);
    await rest('POST', '/promotions/east-voucher-5/approve', await signIn('admin'));
    const issued = await rest('POST', '/promotions/east-voucher-5/coupons', manager, { count: 1 });
    expect(issued.status).toBe(201);
    const code = issued.json.coupons[0].code as string;
    await east.syncNow();

    const sale = await till(east, 'POST', '/api/sales');
    await till(east, 'POST', `/api/sales/${sale.id}/items`, { barcode: '6901028001182', quantity: 6 }); // cola 500ml ×6 = 21.00
    const priced = await till(east, 'POST', `/api/sales/${sale.id}/coupons`, { code });
    expect(priced.coupons).toEqual([{ code, status: 'applied' }]);
    expect(priced.totalMinor).toBe(2100 - 500);
    await till(east, 'POST', `/api/sales/${sale.id}/tenders`, { kind: 'cash', amountMinor: priced.totalMinor });
    await till(east, 'POST', `/api/sales/${sale.id}/complete`);
    await east.syncNow();

    const used = (await rest('GET', '/promotions/east-voucher-5/coupons?used=true', manager)).json.coupons;
    expect(used).toEqual([expect.objectContaining({ code, usedSaleId: sale.id, reusedBySaleIds: [] })]);
    // Gone from the till: it cannot be presented again.
    const again = await till(east, 'POST', '/api/sales');
    const refused = await fetch(new URL(`/api/sales/${again.id}/coupons`, east.uiUrl), { method: 'POST', headers: { authorization: `Bearer ${east.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });
});
