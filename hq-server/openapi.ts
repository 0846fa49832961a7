/**
 * The OpenAPI 3.1 description of HQ's REST API, written by hand next to the routes in
 * http-server.ts; a test walks the router and fails when the two disagree.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ref('Error'), description);
const idPath = (description: string) => ({ name: 'id', in: 'path', required: true, description, schema: { type: 'string' } });
const signedIn = [{ bearer: [] }];
const commonErrors = {
  '401': error('Not signed in, or the session has expired (code UNAUTHENTICATED)'),
  '403': error('The operator’s role or part of the chain does not allow it (code FORBIDDEN)'),
};
const balance = {
  type: 'object',
  required: ['accountId', 'posted', 'held'],
  properties: {
    accountId: { type: 'string' },
    posted: { type: 'integer', description: 'Credits minus debits posted, in minor units (or points)' },
    held: { type: 'integer', description: 'Reserved by pending holds' },
  },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'OneCard HQ API',
    version: '1.0.0',
    description:
      'Headquarters REST API of OneCard: operators, members, terminals and their events. Amounts are integers of minor units (fen). ' +
      'Every error answers {"error": {"code", "message"}} with a stable code.',
  },
  servers: [{ url: '/api/v1' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token from POST /sessions' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', examples: ['VALIDATION_FAILED', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN'] },
              message: { type: 'string' },
            },
          },
        },
      },
      Operator: {
        type: 'object',
        required: ['id', 'name', 'login', 'nodeId', 'roles'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, login: { type: 'string' }, nodeId: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } },
      },
      MemberSummary: {
        type: 'object',
        required: ['id', 'name', 'phone', 'levelCode', 'homeStoreId', 'cardNos'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          phone: { type: 'string' },
          levelCode: { type: 'string' },
          homeStoreId: { type: 'string' },
          cardNos: { type: 'array', items: { type: 'string' } },
        },
      },
      Balance: balance,
      MemberProfile: {
        type: 'object',
        required: ['id', 'name', 'phone', 'level', 'homeStore', 'points', 'cards', 'transactions'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          phone: { type: 'string' },
          birthday: { type: ['string', 'null'], format: 'date' },
          level: { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' } } },
          homeStore: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
          points: ref('Balance'),
          cards: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                cardNo: { type: 'string' },
                medium: { type: 'string', enum: ['mifare', 'em4100', 'magstripe', 'barcode', 'virtual'] },
                status: { type: 'string', enum: ['active', 'frozen', 'lost', 'expired', 'replaced'] },
                expiresOn: { type: ['string', 'null'], format: 'date' },
                currency: { type: 'string' },
                principal: ref('Balance'),
                bonus: ref('Balance'),
              },
            },
          },
          transactions: {
            type: 'array',
            description: 'Latest ledger transfers on the member’s accounts, newest first',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                at: { type: 'integer', description: 'Unix ms at the origin' },
                kind: { type: 'string', enum: ['single', 'pending', 'post_pending', 'void_pending'] },
                code: { type: 'string' },
                accountId: { type: 'string' },
                ledger: { type: 'string' },
                amount: { type: 'integer', description: 'Signed: + into the member’s account, − out of it' },
                pendingState: { type: ['string', 'null'] },
                documentId: { type: ['string', 'null'] },
                terminalId: { type: ['string', 'null'] },
              },
            },
          },
        },
      },
      Terminal: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          storeId: { type: 'string' },
          storeName: { type: 'string' },
          name: { type: 'string' },
          deviceName: { type: ['string', 'null'] },
          enrolled: { type: 'boolean' },
          enrolledAt: { type: ['string', 'null'], format: 'date-time' },
          revoked: { type: 'boolean' },
          revokedAt: { type: ['string', 'null'], format: 'date-time' },
          lastContactAt: { type: ['string', 'null'], format: 'date-time' },
          ackedSeq: { type: 'integer', description: 'Highest contiguous event seq HQ has stored' },
          quarantinedEvents: { type: 'integer' },
        },
      },
      Event: {
        type: 'object',
        properties: {
          terminalId: { type: 'string' },
          seq: { type: 'integer' },
          eventId: { type: 'string' },
          kind: { type: ['string', 'null'], enum: ['sale', 'top_up', 'holds_released', null] },
          status: { type: 'string', enum: ['applied', 'quarantined'] },
          reason: { type: ['string', 'null'] },
          receivedAt: { type: 'string', format: 'date-time' },
          body: { description: 'The event as the terminal sent it' },
        },
      },
    },
  },
  paths: {
    '/health': {
      get: {
        summary: 'Liveness of HQ and its database',
        responses: {
          '200': json({ type: 'object', properties: { status: { const: 'ok' }, database: { const: 'up' } } }, 'HQ and its database are up'),
          '503': json({ type: 'object', properties: { status: { type: 'string' }, database: { const: 'down' } } }, 'The database does not answer'),
        },
      },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1 document') } },
    },
    '/sessions': {
      post: {
        summary: 'Sign in an operator',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['login', 'password'], additionalProperties: false, properties: { login: { type: 'string' }, password: { type: 'string' } } } } },
        },
        responses: {
          '201': json({ type: 'object', properties: { token: { type: 'string' }, operator: ref('Operator'), expiresAt: { type: 'string', format: 'date-time' } } }, 'Signed in'),
          '400': error('Malformed body (code VALIDATION_FAILED)'),
          '401': error('Login or password is wrong (code UNAUTHENTICATED)'),
        },
      },
    },
    '/sessions/current': {
      delete: { summary: 'Sign out', security: signedIn, responses: { '204': { description: 'Signed out' }, '401': commonErrors['401'] } },
    },
    '/members': {
      get: {
        summary: 'Search members by phone, name or card number',
        security: signedIn,
        parameters: [
          { name: 'query', in: 'query', required: true, description: 'Phone or card number prefix, part of the name, or member id', schema: { type: 'string', minLength: 1, maxLength: 64 } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        ],
        responses: {
          '200': json({ type: 'object', properties: { members: { type: 'array', items: ref('MemberSummary') } } }, 'Matching members'),
          '400': error('Missing or malformed query (code VALIDATION_FAILED)'),
          ...commonErrors,
        },
      },
    },
    '/members/{id}': {
      get: {
        summary: 'A member with cards, stored value, points and latest transactions',
        security: signedIn,
        parameters: [idPath('Member id')],
        responses: { '200': json(ref('MemberProfile'), 'The member'), '404': error('No such member (code NOT_FOUND)'), ...commonErrors },
      },
    },
    '/terminals': {
      get: {
        summary: 'Terminals in the operator’s part of the chain',
        security: signedIn,
        responses: { '200': json({ type: 'object', properties: { terminals: { type: 'array', items: ref('Terminal') } } }, 'Terminals'), ...commonErrors },
      },
    },
    '/terminals/{id}/enrollment-codes': {
      post: {
        summary: 'Issue a one-time enrollment code for a terminal',
        security: signedIn,
        parameters: [idPath('Terminal id')],
        requestBody: {
          required: false,
          content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { ttlMinutes: { type: 'integer', minimum: 1, maximum: 43200, default: 1440 } } } } },
        },
        responses: {
          '201': json({ type: 'object', properties: { terminalId: { type: 'string' }, code: { type: 'string', examples: ['K7QM-3XPA-9RTD'] }, expiresAt: { type: 'string', format: 'date-time' } } }, 'The code; HQ keeps only its hash'),
          '400': error('Malformed body (code VALIDATION_FAILED)'),
          '404': error('No such terminal (code NOT_FOUND)'),
          ...commonErrors,
        },
      },
    },
    '/terminals/{id}/revocation': {
      post: {
        summary: 'Revoke a terminal: its credential is refused from now on',
        security: signedIn,
        parameters: [idPath('Terminal id')],
        responses: { '204': { description: 'Revoked' }, '404': error('No such terminal (code NOT_FOUND)'), ...commonErrors },
      },
    },
    '/events': {
      get: {
        summary: 'Events pushed by terminals, newest first',
        security: signedIn,
        parameters: [
          { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: ['applied', 'quarantined'] } },
          { name: 'terminalId', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        ],
        responses: {
          '200': json({ type: 'object', properties: { events: { type: 'array', items: ref('Event') } } }, 'Events'),
          '400': error('Malformed query (code VALIDATION_FAILED)'),
          ...commonErrors,
        },
      },
    },
  },
} as const;
