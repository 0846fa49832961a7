/**
 * OpenAPI paths of the promotion routes (routes-promotions.ts); openapi.ts spreads them into its `paths`.
 */

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json({ $ref: '#/components/schemas/Error' }, description);
const signedIn = [{ bearer: [] }];
const idPath = { name: 'id', in: 'path', required: true, description: 'Promotion id', schema: { type: 'string' } };
const common = {
  '401': error('Not signed in, or the session has expired (code UNAUTHENTICATED)'),
  '403': error('Outside the operator’s part of the chain, their roles do not allow it, or they would approve their own promotion (code FORBIDDEN)'),
};
const bad = error('Malformed input, or a definition the pricing engine refuses (code VALIDATION_FAILED)');
const notFound = error('No such promotion or org node (code NOT_FOUND)');
const conflict = error('Not in a status that allows it, or the id exists (code CONFLICT)');
const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };
const status = { type: 'string', enum: ['draft', 'pending_approval', 'scheduled', 'active', 'ended'] };

/** The definition as data: core/pricing `Promotion` (its zod schema `promotionSchema` is the authority). */
const definition = {
  type: 'object',
  description: 'A core/pricing Promotion without its status (HQ sets it): header checks and a rule discriminated by `type`. See core/pricing/README.md.',
  required: ['name', 'nameZh', 'orgNodeId', 'priority', 'group', 'validFrom', 'validTo', 'daysOfWeek', 'hours', 'perMemberLimit', 'budget', 'rule'],
  properties: {
    id: { type: 'string', description: 'Optional on create (a UUIDv7 otherwise); must match the path on update' },
    name: str,
    nameZh: str,
    orgNodeId: { type: 'string', description: 'HQ, a region or a store: the promotion applies to stores under it' },
    priority: { type: 'integer' },
    group: { type: 'string', enum: ['exclusive', 'stackable'] },
    validFrom: { type: ['string', 'null'], format: 'date', description: 'Store-local date' },
    validTo: { type: ['string', 'null'], format: 'date' },
    daysOfWeek: { type: ['array', 'null'], items: { type: 'integer', minimum: 1, maximum: 7 } },
    hours: { type: ['object', 'null'], properties: { fromMinute: { type: 'integer' }, toMinute: { type: 'integer' } } },
    perMemberLimit: { type: ['integer', 'null'], minimum: 1 },
    budget: { type: ['object', 'null'], properties: { kind: { type: 'string', enum: ['quantity', 'amount'] }, total: { type: 'integer', minimum: 0 } } },
    rounding: { type: 'string', enum: ['HALF_UP', 'HALF_EVEN', 'DOWN', 'UP'] },
    rule: { type: 'object', required: ['type'], properties: { type: str } },
  },
};
const record = {
  type: 'object',
  properties: {
    promotion: { ...definition, properties: { ...definition.properties, status } },
    version: { type: 'integer' },
    createdBy: str,
    updatedBy: str,
    submittedBy: nullableStr,
    approvedBy: nullableStr,
    approvedAt: { type: ['string', 'null'], format: 'date-time' },
    endedBy: nullableStr,
    endedAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};
const reportRow = {
  type: 'object',
  properties: {
    promotionId: str, promotionName: str, storeId: str, day: { type: 'string', format: 'date' },
    uses: { type: 'integer' }, units: { type: 'integer' }, discountMinor: { type: 'integer' },
    refundedDiscountMinor: { type: 'integer', description: 'Discount reversed by refunds of these sales (counted on the sale’s day)' },
    salesWith: { type: 'integer' }, salesWithMinor: { type: 'integer' }, salesWithout: { type: 'integer' }, salesWithoutMinor: { type: 'integer' },
    members: { type: 'integer' }, newMembers: { type: 'integer' },
  },
};
const coupon = {
  type: 'object',
  properties: {
    code: str, promotionId: str, memberId: nullableStr, validTo: { type: ['string', 'null'], format: 'date' }, issuedBy: str, issuedAt: { type: 'string', format: 'date-time' },
    usedSaleId: nullableStr, usedAt: { type: ['string', 'null'], format: 'date-time' }, reusedBySaleIds: { type: 'array', items: str },
  },
};
const reasonBody = (required: boolean) => ({
  required,
  content: { 'application/json': { schema: { type: 'object', additionalProperties: false, ...(required ? { required: ['reason'] } : {}), properties: { reason: str } } } },
});
const transition = (summary: string, body?: object) => ({
  post: {
    summary,
    security: signedIn,
    parameters: [idPath],
    ...(body ? { requestBody: body } : {}),
    responses: { '200': json(record, 'The promotion after the change'), '400': bad, '404': notFound, '409': conflict, ...common },
  },
});

export const promotionApiPaths = {
  '/promotions': {
    get: {
      summary: 'Promotions the operator may see: at nodes where they write, approve or read reports, and above them',
      security: signedIn,
      parameters: [
        { name: 'status', in: 'query', required: false, schema: status },
        { name: 'nodeId', in: 'query', required: false, schema: str },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } },
      ],
      responses: { '200': json({ type: 'object', properties: { promotions: { type: 'array', items: record } } }, 'Newest first'), '400': bad, ...common },
    },
    post: {
      summary: 'Create a draft at an org node of the operator’s part of the chain (promotion.write there)',
      security: signedIn,
      requestBody: { required: true, content: { 'application/json': { schema: definition } } },
      responses: { '201': json(record, 'The draft'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
  },
  '/promotions/{id}': {
    get: { summary: 'One promotion, with who wrote, approved and ended it', security: signedIn, parameters: [idPath], responses: { '200': json(record, 'The promotion'), '404': notFound, ...common } },
    put: {
      summary: 'Replace a draft (one waiting for approval goes back to draft); live and ended promotions do not change',
      security: signedIn,
      parameters: [idPath],
      requestBody: { required: true, content: { 'application/json': { schema: definition } } },
      responses: { '200': json(record, 'The draft after the change'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
  },
  '/promotions/{id}/submit': transition('Submit a draft for approval (draft → pending_approval)'),
  '/promotions/{id}/approve': transition('Approve (pending_approval → scheduled, or active once its window has begun in the node’s time zone); promotion.approve, not the author or submitter'),
  '/promotions/{id}/reject': transition('Send back to draft with a reason (promotion.approve)', reasonBody(true)),
  '/promotions/{id}/end': transition('End now (promotion.write or promotion.approve); terminals drop it at their next pull', reasonBody(false)),
  '/promotions/{id}/budget': {
    get: {
      summary: 'Where the budget stands: total, drawn (from sale documents), allotted to terminals, outstanding, per terminal',
      security: signedIn,
      parameters: [idPath],
      responses: {
        '200': json(
          {
            type: 'object',
            properties: {
              promotionId: str, kind: { type: 'string', enum: ['quantity', 'amount'] }, total: { type: 'integer' }, used: { type: 'integer' }, allotted: { type: 'integer' },
              unallotted: { type: 'integer' }, outstanding: { type: 'integer' },
              terminals: { type: 'array', items: { type: 'object', properties: { terminalId: str, allotted: { type: 'integer' }, used: { type: 'integer' } } } },
            },
          },
          'The budget',
        ),
        '404': notFound,
        ...common,
      },
    },
  },
  '/promotions/{id}/coupons': {
    post: {
      summary: 'Issue coupon codes of an approved coupon promotion: one per member into their wallets, or `count` bearer codes (promotion.write)',
      security: signedIn,
      parameters: [idPath],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { memberIds: { type: 'array', items: str }, count: { type: 'integer', minimum: 1, maximum: 10000 }, validTo: { type: ['string', 'null'], format: 'date' } } } } },
      },
      responses: { '201': json({ type: 'object', properties: { coupons: { type: 'array', items: coupon } } }, 'The codes; each reaches the terminals the promotion reaches'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
    get: {
      summary: 'Codes issued for a promotion, with who used them (the first sale) and any later sale that presented a used code offline',
      security: signedIn,
      parameters: [
        idPath,
        { name: 'memberId', in: 'query', required: false, schema: str },
        { name: 'used', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
      ],
      responses: { '200': json({ type: 'object', properties: { coupons: { type: 'array', items: coupon } } }, 'Codes, oldest first'), '404': notFound, ...common },
    },
  },
  '/promotion-reports': {
    get: {
      summary: 'Per promotion, store and store-local day: uses, discount, sales with and without, members, new members — from the sale documents',
      security: signedIn,
      parameters: [
        { name: 'from', in: 'query', required: true, schema: { type: 'string', format: 'date' } },
        { name: 'to', in: 'query', required: true, schema: { type: 'string', format: 'date' } },
        { name: 'promotionId', in: 'query', required: false, schema: str },
        { name: 'storeId', in: 'query', required: false, schema: str },
        { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
      ],
      responses: {
        '200': {
          description: 'The rows (JSON), or the same as a CSV download',
          content: {
            'application/json': { schema: { type: 'object', properties: { from: str, to: str, rows: { type: 'array', items: reportRow } } } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        '400': bad,
        ...common,
      },
    },
  },
} as const;
