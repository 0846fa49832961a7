/**
 * OpenAPI paths of reconciliation, settlement, reports, exports and the dashboard
 * (routes-finance.ts); openapi.ts spreads them into its `paths`. Money is integer minor units (fen).
 */

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json({ $ref: '#/components/schemas/Error' }, description);
const signedIn = [{ bearer: [] }];
const str = { type: 'string' };
const int = { type: 'integer' };
const nullableInt = { type: ['integer', 'null'] };
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const common = {
  '401': error('Not signed in, or the session has expired (code UNAUTHENTICATED)'),
  '403': error('The operator’s roles or part of the chain do not allow it (code FORBIDDEN)'),
};
const bad = error('Malformed input (code VALIDATION_FAILED)');
const idPath = { name: 'id', in: 'path', required: true, schema: str };
const file = (description: string) => ({
  description: `${description}. Streamed; X-Export-Rows carries the number of data rows when known.`,
  content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } }, 'text/csv': { schema: str } },
});

const totals = {
  type: 'object',
  properties: {
    tenders: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string', enum: ['cash', 'bank_card', 'stored_value', 'points'] }, salesMinor: int, refundsMinor: int } } },
    saleCount: int,
    refundCount: int,
    topUpTotalMinor: int,
  },
};
const difference = {
  type: 'object',
  required: ['kind', 'terminalId', 'storeId', 'amountMinor', 'detail'],
  properties: {
    kind: { type: 'string', enum: ['day_close_missing', 'missing_events', 'chain_mismatch', 'quarantined_event', 'tender_total', 'count', 'top_up_total', 'offline_overdraft', 'liability', 'unexpected_card_flow', 'account_cache'] },
    terminalId: { type: ['string', 'null'] },
    storeId: { type: ['string', 'null'] },
    tender: str,
    terminalSays: int,
    hqHas: int,
    amountMinor: { ...nullableInt, description: 'How much: HQ − terminal for totals; the overdraft; the quarantined document’s amount' },
    seqs: { type: 'array', items: { type: 'object', properties: { fromSeq: int, toSeq: int } } },
    accountId: str,
    detail: str,
  },
};
const line = {
  type: 'object',
  properties: {
    lineNo: int, kind: { type: 'string', enum: ['store', 'adjustment'] }, storeId: str, description: str,
    issuedPrincipalMinor: int, issuedBonusMinor: int, redeemedPrincipalMinor: int, redeemedBonusMinor: int,
    bonusFundedMinor: int, bonusReimbursedMinor: int, serviceFeeMinor: int, pointsReimbursedMinor: { type: 'integer', description: 'Value of points the store accepted as payment, funded by the chain' }, netMinor: int, correctsStatementId: { type: ['string', 'null'] },
  },
};
const statement = {
  type: 'object',
  properties: {
    id: str, periodStart: date, periodEnd: date, party: { type: 'string', description: 'The franchisee, or the company store’s id' }, franchisee: { type: ['string', 'null'] },
    currency: str, rules: { type: 'object' }, netMinor: { type: 'integer', description: 'Positive: HQ pays the party' }, state: { type: 'string', enum: ['draft', 'confirmed'] },
    confirmedAt: { type: ['string', 'null'] }, confirmedBy: { type: ['string', 'null'] }, lines: { type: 'array', items: line },
  },
};

export const financeApiPaths = {
  '/reconciliation': {
    get: {
      summary: 'Reconcile a business day (event.read): each terminal’s day close against what HQ applied, and (chain-wide scope only) the stored-value liability and cached balances',
      security: signedIn,
      parameters: [{ name: 'date', in: 'query', required: true, schema: date }, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'xlsx', 'csv'], default: 'json' } }],
      responses: {
        '200': { description: 'The day’s reconciliation (no differences means it reconciles); with format=xlsx|csv its differences as a file', content: { ...file('').content, ...json({
          type: 'object',
          properties: {
            date, timeZone: str,
            terminals: { type: 'array', items: { type: 'object', properties: { terminalId: str, storeId: str, dayClose: { type: ['object', 'null'] }, hq: totals, hqChain: { type: ['string', 'null'] }, differences: int } } },
            liability: { type: ['object', 'null'], properties: { from: int, to: int, openingMinor: int, flows: { type: 'array', items: { type: 'object', properties: { code: str, amountMinor: int } } }, closingFromFlowsMinor: int, memberBalancesMinor: int, cachedNowMinor: int, transfersNowMinor: int } },
            differences: { type: 'array', items: difference },
          },
        }, '').content } },
        '400': bad,
        ...common,
      },
    },
  },
  '/dashboard': {
    get: {
      summary: 'Figures for the console’s dashboard in the caller’s scope (report.read)',
      security: signedIn,
      responses: {
        '200': json({
          type: 'object',
          properties: {
            date, timeZone: str, lastSaleDate: { type: ['string', 'null'] },
            todaySales: { type: 'object', properties: { count: int, totalMinor: int } },
            members: int,
            storedValueOutstanding: { type: 'object', properties: { principalMinor: int, bonusMinor: int, totalMinor: int } },
            pointsOutstanding: int,
            offlineExposure: { type: 'object', properties: { outstandingMinor: int, outstandingPoints: int } },
            terminals: { type: 'object', properties: { total: int, enrolled: int, online: int, onlineMeans: str } },
          },
        }, 'Dashboard'),
        ...common,
      },
    },
  },
  '/members/{id}/promotions': {
    get: {
      summary: 'The promotions a member’s sales used at the stores of the caller’s scope (member.read): sales, discount, last use',
      security: signedIn,
      parameters: [idPath],
      responses: {
        '200': json({ type: 'object', properties: { promotions: { type: 'array', items: { type: 'object', properties: { promotionId: str, name: str, sales: int, discountMinor: int, lastAt: int } } }, coupons: { type: 'null' }, couponsNote: str } }, 'Promotions used'),
        '404': error('No such member (code NOT_FOUND)'),
        ...common,
      },
    },
  },
  '/reports': {
    get: { summary: 'The reports there are (report.read), with their columns and chart, and those not done', security: signedIn, responses: { '200': json({ type: 'object', properties: { reports: { type: 'array', items: { type: 'object' } }, notDone: { type: 'array', items: { type: 'object', properties: { name: str, why: str } } } } }, 'Reports'), ...common } },
  },
  '/reports/{name}': {
    get: {
      summary: 'One report over business days from–to in the caller’s scope: JSON rows (money in fen), or an .xlsx / CSV export (money in yuan)',
      security: signedIn,
      parameters: [
        { name: 'name', in: 'path', required: true, schema: { type: 'string', enum: ['sales-by-day', 'sales-by-store', 'sales-by-region', 'member-growth', 'stored-value-flow', 'points', 'cashier-performance', 'promotion-performance', 'sales-detail'] } },
        { name: 'from', in: 'query', required: true, schema: date },
        { name: 'to', in: 'query', required: true, schema: date },
        { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'xlsx', 'csv'], default: 'json' } },
      ],
      responses: { '200': { description: 'The report as JSON rows (format=json), or the export file', content: { ...json({ type: 'object', properties: { name: str, title: str, note: { type: ['string', 'null'] }, columns: { type: 'array', items: { type: 'object' } }, chart: { type: ['object', 'null'] }, rows: { type: 'array', items: { type: 'object' } } } }, '').content, ...file('').content } }, '400': bad, '404': error('No such report (code NOT_FOUND)'), ...common },
    },
  },
  '/settlement/statements': {
    get: {
      summary: 'Settlement statements whose stores are all in the caller’s scope (report.read), of one period or all',
      security: signedIn,
      parameters: [{ name: 'periodStart', in: 'query', required: false, schema: date }, { name: 'periodEnd', in: 'query', required: false, schema: date }],
      responses: { '200': json({ type: 'object', properties: { statements: { type: 'array', items: statement } } }, 'Statements'), '400': bad, ...common },
    },
    post: {
      summary: '(Re)build the drafts of a period, one per franchisee and company store, with corrections of confirmed earlier periods (member.adjust over the whole chain)',
      security: signedIn,
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['periodStart', 'periodEnd'], additionalProperties: false, properties: { periodStart: date, periodEnd: date } } } } },
      responses: { '201': json({ type: 'object', properties: { statements: { type: 'array', items: statement } } }, 'The period’s statements (confirmed ones unchanged)'), '400': bad, ...common },
    },
  },
  '/settlement/statements/{id}': {
    get: { summary: 'One statement with its lines', security: signedIn, parameters: [idPath], responses: { '200': json(statement, 'Statement'), '404': error('No such statement (code NOT_FOUND)'), ...common } },
  },
  '/settlement/statements/{id}/confirm': {
    post: {
      summary: 'Confirm a draft (audited); from then on it never changes and corrections go into the next period',
      security: signedIn,
      parameters: [idPath],
      responses: { '200': json(statement, 'Confirmed'), '404': error('No such statement (code NOT_FOUND)'), '409': error('Already confirmed (code CONFLICT)'), ...common },
    },
  },
  '/settlement/statements/{id}/export': {
    get: {
      summary: 'A statement as an .xlsx workbook (amounts as numbers in yuan with a currency format, and a total row) or CSV',
      security: signedIn,
      parameters: [idPath, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['xlsx', 'csv'], default: 'xlsx' } }],
      responses: { '200': file('The statement'), '404': error('No such statement (code NOT_FOUND)'), ...common },
    },
  },
} as const;
