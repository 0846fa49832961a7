/**
 * The OpenAPI 3.1 description of HQ's REST API, written by hand next to the routes in
 * http-server.ts; a test walks the router and fails when the two disagree.
 */

import { orgApiPaths } from './openapi-org';
import { financeApiPaths } from './openapi-finance';
import { promotionApiPaths } from './openapi-promotions';
import { catalogApiPaths } from './openapi-catalog';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ref('Error'), description);
const idPath = (description: string) => ({ name: 'id', in: 'path', required: true, description, schema: { type: 'string' } });
const signedIn = [{ bearer: [] }];
const requestIdProp = { type: 'string', description: 'Idempotency key: a retry with the same id answers the first response' };
const keyPath = { name: 'key', in: 'path', required: true, description: 'Setting key (core/settings.ts)', schema: { type: 'string' } };
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
      Card: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          memberId: { type: 'string' },
          cardNo: { type: 'string' },
          medium: { type: 'string', enum: ['mifare', 'em4100', 'magstripe', 'barcode', 'virtual'] },
          status: { type: 'string', enum: ['active', 'frozen', 'lost', 'expired', 'replaced'] },
          expiresOn: { type: ['string', 'null'], format: 'date' },
          pinHash: { type: ['string', 'null'], description: 'argon2id hash of the card PIN; null when the card has none' },
        },
      },
      DeskResult: {
        type: 'object',
        description: 'The member after a member-desk change, with every card and balance',
        properties: {
          member: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, phone: { type: 'string' }, birthday: { type: ['string', 'null'] }, levelCode: { type: 'string' }, homeStoreId: { type: 'string' } } },
          cards: { type: 'array', items: ref('Card') },
          balances: { type: 'array', items: { type: 'object', properties: { accountId: { type: 'string' }, ledger: { type: 'string' }, code: { type: 'string' }, posted: { type: 'integer' }, held: { type: 'integer' } } } },
        },
      },
      CardInput: {
        type: 'object',
        required: ['cardNo', 'medium'],
        properties: {
          cardNo: { type: 'string', minLength: 4, maxLength: 64, description: 'Printed number, or the UID in upper-case hex; unique' },
          medium: { type: 'string', enum: ['mifare', 'em4100', 'magstripe', 'barcode', 'virtual'] },
          pin: { type: 'string', pattern: '^\\d{4,12}$', description: 'Optional card PIN; HQ keeps only its argon2id hash' },
          expiresOn: { type: 'string', format: 'date' },
        },
      },
      Adjustment: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          asset: { type: 'string', enum: ['stored_value', 'points'] },
          memberId: { type: 'string' },
          cardId: { type: ['string', 'null'] },
          part: { type: ['string', 'null'], enum: ['principal', 'bonus', null] },
          amount: { type: 'integer', description: 'Signed minor units (or points): + credits the member, − debits' },
          reason: { type: 'string' },
          state: { type: 'string', enum: ['pending', 'approved'] },
          requestedBy: { type: 'string' },
          requestedAt: { type: 'string', format: 'date-time' },
          approvedBy: { type: ['string', 'null'] },
          approvedAt: { type: ['string', 'null'], format: 'date-time' },
          transferId: { type: ['string', 'null'] },
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
          kind: { type: ['string', 'null'], enum: ['sale', 'top_up', 'holds_released', 'refund', 'gift_redemption', 'top_up_refund', null] },
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
      post: {
        summary: 'Register a member (and their first card) at a store in the operator’s part of the chain',
        security: signedIn,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['name', 'phone', 'homeStoreId'], additionalProperties: false, properties: { requestId: requestIdProp, name: { type: 'string' }, phone: { type: 'string' }, birthday: { type: 'string', format: 'date' }, homeStoreId: { type: 'string' }, card: ref('CardInput') } } } },
        },
        responses: {
          '201': json(ref('DeskResult'), 'Registered'),
          '400': error('Malformed body (code VALIDATION_FAILED)'),
          '409': error('The card number is taken, or the request id was used with other details (code CONFLICT)'),
          ...commonErrors,
        },
      },
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
    '/members/{id}/cards': {
      post: {
        summary: 'Issue another card to a member',
        security: signedIn,
        parameters: [idPath('Member id')],
        requestBody: { required: true, content: { 'application/json': { schema: { allOf: [ref('CardInput'), { type: 'object', properties: { requestId: requestIdProp } }] } } } },
        responses: {
          '201': json(ref('DeskResult'), 'Issued'),
          '400': error('Malformed body (code VALIDATION_FAILED)'),
          '404': error('No such member (code NOT_FOUND)'),
          '409': error('The card number is taken, or the request id was used with other details (code CONFLICT)'),
          ...commonErrors,
        },
      },
    },
    '/cards/{id}/status': {
      post: {
        summary: 'Freeze, unfreeze, report lost or replace a card (a replacement moves its stored value to the new card)',
        security: signedIn,
        parameters: [idPath('Card id')],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['action'], properties: { requestId: requestIdProp, action: { type: 'string', enum: ['freeze', 'unfreeze', 'report_lost', 'replace'] }, reason: { type: 'string' }, newCard: ref('CardInput') } } } },
        },
        responses: {
          '200': json(ref('DeskResult'), 'Changed'),
          '400': error('Malformed body (code VALIDATION_FAILED)'),
          '404': error('No such card (code UNKNOWN_CARD)'),
          '409': error('The new card number is taken (code CONFLICT)'),
          '422': error('The card’s status does not allow it (code CARD_STATUS_CHANGE_NOT_ALLOWED)'),
          ...commonErrors,
        },
      },
    },
    '/balance-transfers': {
      post: {
        summary: 'Move stored value between two cards of one member, principal and bonus apart',
        security: signedIn,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['fromCardId', 'toCardId', 'amountMinor'], additionalProperties: false, properties: { requestId: requestIdProp, fromCardId: { type: 'string' }, toCardId: { type: 'string' }, amountMinor: { type: 'integer', minimum: 0, description: 'Minor units, split by the spending order; 0 moves everything' } } } } },
        },
        responses: {
          '200': json(ref('DeskResult'), 'Moved'),
          '400': error('Malformed body, a non-integer amount, or cards of different members (code VALIDATION_FAILED)'),
          '404': error('No such card (code UNKNOWN_CARD)'),
          '422': error('Not enough stored value, or a frozen/expired card (codes INSUFFICIENT_BALANCE, CARD_FROZEN, CARD_EXPIRED…)'),
          ...commonErrors,
        },
      },
    },
    '/adjustments': {
      post: {
        summary: 'Ask for a manual adjustment of a member’s stored value or points; a second operator must approve it',
        security: signedIn,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['asset', 'memberId', 'amount', 'reason'], additionalProperties: false, properties: { asset: { type: 'string', enum: ['stored_value', 'points'] }, memberId: { type: 'string' }, cardId: { type: 'string', description: 'Stored value only' }, part: { type: 'string', enum: ['principal', 'bonus'], description: 'Stored value only' }, amount: { type: 'integer', description: 'Signed, not zero' }, reason: { type: 'string' } } } } },
        },
        responses: { '201': json(ref('Adjustment'), 'Pending approval'), '400': error('Malformed body (code VALIDATION_FAILED)'), '404': error('No such member or card'), ...commonErrors },
      },
      get: {
        summary: 'Adjustments of members in the operator’s part of the chain, newest first',
        security: signedIn,
        parameters: [
          { name: 'state', in: 'query', required: false, schema: { type: 'string', enum: ['pending', 'approved'] } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        ],
        responses: { '200': json({ type: 'object', properties: { adjustments: { type: 'array', items: ref('Adjustment') } } }, 'Adjustments'), '400': error('Malformed query (code VALIDATION_FAILED)'), ...commonErrors },
      },
    },
    '/adjustments/{id}/approve': {
      post: {
        summary: 'Approve and post an adjustment (STORED_VALUE_ADJUSTED / POINTS_ADJUSTED against chain:adjustments); never by the operator who asked',
        security: signedIn,
        parameters: [idPath('Adjustment id')],
        responses: {
          '200': json(ref('Adjustment'), 'Approved and posted'),
          '403': error('The approver asked for it, or lacks member.adjust (code FORBIDDEN)'),
          '404': error('No such adjustment (code NOT_FOUND)'),
          '409': error('Already approved (code CONFLICT)'),
          '422': error('The member’s balance cannot cover a debit (code INSUFFICIENT_BALANCE)'),
          '401': commonErrors['401'],
        },
      },
    },
    '/exposure': {
      get: {
        summary: 'Offline exposure: overdrafts offline debits caused, by store and member, with totals (for finance)',
        security: signedIn,
        parameters: [
          { name: 'storeId', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'memberId', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': json(
            {
              type: 'object',
              properties: {
                rows: { type: 'array', items: { type: 'object', properties: { storeId: { type: 'string' }, storeName: { type: 'string' }, memberId: { type: ['string', 'null'] }, memberName: { type: ['string', 'null'] }, ledger: { type: 'string', description: 'Currency, or POINTS' }, amount: { type: 'integer' }, count: { type: 'integer' }, lastAt: { type: 'integer' } } } },
                byStore: { type: 'array', items: { type: 'object', properties: { storeId: { type: 'string' }, ledger: { type: 'string' }, amount: { type: 'integer' }, count: { type: 'integer' } } } },
                totals: { type: 'array', items: { type: 'object', properties: { ledger: { type: 'string' }, amount: { type: 'integer' }, count: { type: 'integer' } } } },
              },
            },
            'Exposure',
          ),
          '400': error('Malformed query (code VALIDATION_FAILED)'),
          ...commonErrors,
        },
      },
    },
    '/events/{terminalId}/{seq}/retry': {
      post: {
        summary: 'Apply a quarantined event again once its cause is fixed (a balance adjusted, a sale arrived); it becomes applied or keeps quarantined with the new reason',
        security: signedIn,
        parameters: [
          { name: 'terminalId', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'seq', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
        ],
        responses: {
          '200': json({ type: 'object', properties: { seq: { type: 'integer' }, status: { type: 'string', enum: ['applied', 'quarantined', 'duplicate'] }, reason: { type: 'string' } } }, 'What the retry did'),
          '400': error('Malformed path (code VALIDATION_FAILED)'),
          '404': error('No such terminal or event (code NOT_FOUND)'),
          ...commonErrors,
        },
      },
    },
    '/settings': {
      get: {
        summary: 'Every chain setting (defaults filled in), and who last changed each at HQ',
        security: signedIn,
        responses: {
          '200': json({
            type: 'object',
            properties: {
              settings: { type: 'object' },
              lastChanged: {
                type: 'object',
                description: 'Per key changed since the chain was seeded: when and by whom',
                additionalProperties: { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, operatorId: { type: 'string' }, operatorName: { type: ['string', 'null'] } } },
              },
            },
          }, 'Settings'),
          ...commonErrors,
        },
      },
    },
    '/settings/{key}': {
      get: {
        summary: 'One chain setting',
        security: signedIn,
        parameters: [keyPath],
        responses: { '200': json({ type: 'object', properties: { key: { type: 'string' }, value: {} } }, 'The setting'), '404': error('No such setting (code NOT_FOUND)'), ...commonErrors },
      },
      put: {
        summary: 'Change a chain setting (HQ only); terminals pull it as a Setting change',
        security: signedIn,
        parameters: [keyPath],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { description: 'The setting’s value, checked against CHAIN_SETTINGS_SCHEMA' } } } } } },
        responses: {
          '200': json({ type: 'object', properties: { key: { type: 'string' }, value: {}, before: {} } }, 'Changed'),
          '400': error('The value does not fit the setting (code VALIDATION_FAILED)'),
          '404': error('No such setting (code NOT_FOUND)'),
          ...commonErrors,
        },
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
    ...orgApiPaths,
    ...financeApiPaths,
    ...promotionApiPaths,
    ...catalogApiPaths,
  },
} as const;
