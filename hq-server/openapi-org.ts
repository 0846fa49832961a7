/**
 * OpenAPI paths of the organisation, roles, operators, audit and regional member routes
 * (routes-org.ts, routes-operators.ts); openapi.ts spreads them into its `paths`.
 */

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json({ $ref: '#/components/schemas/Error' }, description);
const signedIn = [{ bearer: [] }];
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const common = {
  '401': error('Not signed in, or the session has expired (code UNAUTHENTICATED)'),
  '403': error('The operator’s roles or part of the chain do not allow it (code FORBIDDEN)'),
};
const bad = error('Malformed input, a cycle, or a rule broken (code VALIDATION_FAILED)');
const notFound = error('No such node, role, operator, member or sale (code NOT_FOUND)');
const conflict = error('Exists already, built-in, or in use (code CONFLICT)');
const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };
const node = {
  type: 'object',
  required: ['id', 'parentId', 'kind', 'name', 'timeZone', 'currency', 'franchisee'],
  properties: { id: str, parentId: nullableStr, kind: { type: 'string', enum: ['hq', 'region', 'store'] }, name: str, timeZone: str, currency: str, franchisee: nullableStr },
};
const role = { type: 'object', required: ['code', 'name', 'permissions', 'builtIn'], properties: { code: str, name: str, permissions: { type: 'array', items: str }, builtIn: { type: 'boolean' } } };
const grant = { type: 'object', required: ['nodeId', 'role'], properties: { nodeId: str, role: str } };
const operator = {
  type: 'object',
  properties: {
    id: str, name: str, login: str, nodeId: str, cardNo: nullableStr, hasPin: { type: 'boolean' }, locked: { type: 'boolean' },
    failedSignIns: { type: 'integer' }, disabled: { type: 'boolean' },
    grants: { type: 'array', items: { type: 'object', properties: { nodeId: str, role: str, permissions: { type: 'array', items: str } } } },
  },
};
const transaction = {
  type: 'object',
  properties: { id: str, at: { type: 'integer' }, kind: str, code: str, accountId: str, ledger: str, amount: { type: 'integer' }, pendingState: nullableStr, documentId: nullableStr, terminalId: nullableStr },
};

export const orgApiPaths = {
  '/org/nodes': {
    get: { summary: 'Org nodes in the caller’s scope (org.read), parents first, with their terminals', security: signedIn, responses: { '200': json({ type: 'object', properties: { nodes: { type: 'array', items: node } } }, 'Nodes'), ...common } },
    post: {
      summary: 'Create a region, sub-region, store or terminal under a node (org.manage at the parent); time zone and currency default to the parent’s',
      security: signedIn,
      requestBody: body({
        type: 'object',
        required: ['id', 'parentId', 'kind', 'name'],
        additionalProperties: false,
        properties: { id: str, parentId: str, kind: { type: 'string', enum: ['region', 'store', 'terminal'] }, name: str, timeZone: str, currency: { type: 'string', pattern: '^[A-Z]{3}$' }, franchisee: nullableStr },
      }),
      responses: { '201': json(node, 'Created (audited)'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
  },
  '/org/nodes/{id}': {
    get: { summary: 'One node with its children and the moves it went through', security: signedIn, parameters: [path('id', 'Node id')], responses: { '200': json(node, 'The node'), '404': notFound, ...common } },
    patch: {
      summary: 'Rename a node, set its time zone or currency, or mark a store franchise (franchisee) or company-owned (null); org.manage at the node',
      security: signedIn,
      parameters: [path('id', 'Node id')],
      requestBody: body({ type: 'object', additionalProperties: false, properties: { name: str, timeZone: str, currency: str, franchisee: nullableStr } }),
      responses: { '200': json(node, 'After the change (audited with before/after)'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
  },
  '/org/nodes/{id}/move': {
    post: {
      summary: 'Move a region or store under another parent (org.manage at both ends). History stays keyed by the node id; scope follows the new parent. HQ cannot move; cycles are refused.',
      security: signedIn,
      parameters: [path('id', 'Node id')],
      requestBody: body({ type: 'object', required: ['parentId'], additionalProperties: false, properties: { parentId: str } }),
      responses: { '200': json(node, 'The node after the move (audited)'), '400': bad, '404': notFound, ...common },
    },
  },
  '/roles': {
    get: { summary: 'Every permission and every role (built-in and custom); operator.read', security: signedIn, responses: { '200': json({ type: 'object', properties: { permissions: { type: 'array', items: str }, roles: { type: 'array', items: role } } }, 'Roles'), ...common } },
    post: {
      summary: 'Create a custom role (role.manage at HQ)',
      security: signedIn,
      requestBody: body({ type: 'object', required: ['code', 'name', 'permissions'], additionalProperties: false, properties: { code: { type: 'string', pattern: '^[a-z][a-z0-9_]{1,47}$' }, name: str, permissions: { type: 'array', items: str } } }),
      responses: { '201': json(role, 'Created (audited)'), '400': bad, '409': conflict, ...common },
    },
  },
  '/roles/{code}': {
    get: { summary: 'One role', security: signedIn, parameters: [path('code', 'Role code')], responses: { '200': json(role, 'The role'), '404': notFound, ...common } },
    patch: {
      summary: 'Change a custom role’s name or permissions (role.manage at HQ); its holders’ terminals get the new permissions',
      security: signedIn,
      parameters: [path('code', 'Role code')],
      requestBody: body({ type: 'object', additionalProperties: false, properties: { name: str, permissions: { type: 'array', items: str } } }),
      responses: { '200': json(role, 'After (audited)'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
    delete: { summary: 'Delete a custom role nobody holds (role.manage at HQ)', security: signedIn, parameters: [path('code', 'Role code')], responses: { '204': { description: 'Deleted (audited)' }, '404': notFound, '409': conflict, ...common } },
  },
  '/operators': {
    get: { summary: 'Operators whose home node is in the caller’s scope (operator.read); never hashes', security: signedIn, responses: { '200': json({ type: 'object', properties: { operators: { type: 'array', items: operator } } }, 'Operators'), ...common } },
    post: {
      summary: 'Create an operator at a node (operator.manage there) with optional PIN, operator card and grants (each no more than the caller holds at its node)',
      security: signedIn,
      requestBody: body({
        type: 'object',
        required: ['id', 'nodeId', 'name', 'login', 'password'],
        additionalProperties: false,
        properties: { id: str, nodeId: str, name: str, login: str, password: { type: 'string', minLength: 10, description: 'At least 10 characters, a letter and a digit, not containing the login' }, pin: { type: 'string', pattern: '^\\d{4,8}$' }, cardNo: nullableStr, grants: { type: 'array', items: grant } },
      }),
      responses: { '201': json(operator, 'Created (audited, in the terminals’ feed)'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
  },
  '/operators/{id}': {
    get: { summary: 'One operator (operator.read at their node)', security: signedIn, parameters: [path('id', 'Operator id')], responses: { '200': json(operator, 'The operator'), '404': notFound, ...common } },
    patch: {
      summary: 'Rename, set PIN or operator card, disable or enable (operator.manage at their node)',
      security: signedIn,
      parameters: [path('id', 'Operator id')],
      requestBody: body({ type: 'object', additionalProperties: false, properties: { name: str, pin: str, cardNo: nullableStr, disabled: { type: 'boolean' } } }),
      responses: { '200': json(operator, 'After (audited)'), '400': bad, '404': notFound, '409': conflict, ...common },
    },
  },
  '/operators/{id}/grants': {
    post: {
      summary: 'Grant a role at a node (operator.manage at the operator’s node and the grant’s node; no more than the caller holds there)',
      security: signedIn,
      parameters: [path('id', 'Operator id')],
      requestBody: body({ ...grant, additionalProperties: false }),
      responses: { '201': json(operator, 'After (audited)'), '400': bad, '404': notFound, ...common },
    },
  },
  '/operators/{id}/grants/{nodeId}/{role}': {
    delete: {
      summary: 'Revoke a grant',
      security: signedIn,
      parameters: [path('id', 'Operator id'), path('nodeId', 'Node of the grant'), path('role', 'Role code')],
      responses: { '204': { description: 'Revoked (audited)' }, '404': notFound, ...common },
    },
  },
  '/operators/{id}/unlock': {
    post: { summary: 'Unlock an account locked after 20 wrong passwords (operator.manage)', security: signedIn, parameters: [path('id', 'Operator id')], responses: { '200': json(operator, 'Unlocked (audited)'), '404': notFound, ...common } },
  },
  '/sessions/current/password': {
    post: {
      summary: 'Change one’s own password (old + new; at least 10 characters with a letter and a digit, not the login); other sessions end',
      security: signedIn,
      requestBody: body({ type: 'object', required: ['oldPassword', 'newPassword'], additionalProperties: false, properties: { oldPassword: str, newPassword: str } }),
      responses: { '204': { description: 'Changed (audited)' }, '400': bad, ...common },
    },
  },
  '/audit': {
    get: {
      summary: 'Search the append-only audit log, newest first (audit.read; entries of nodes in scope; node-less job entries for HQ grants only)',
      security: signedIn,
      parameters: [
        { name: 'operatorId', in: 'query', required: false, schema: str },
        { name: 'nodeId', in: 'query', required: false, schema: str },
        { name: 'action', in: 'query', required: false, schema: str, description: 'An action (operator.locked) or a prefix (operator)' },
        { name: 'entityKind', in: 'query', required: false, schema: str },
        { name: 'entityId', in: 'query', required: false, schema: str },
        { name: 'from', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
        { name: 'to', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
        { name: 'beforeId', in: 'query', required: false, schema: { type: 'integer' } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: { '200': json({ type: 'object', properties: { entries: { type: 'array', items: { type: 'object' } } } }, 'Entries'), '400': bad, ...common },
    },
  },
  '/members/{id}/transactions': {
    get: {
      summary: 'A member’s transactions made at stores in the caller’s scope (member.read); HQ-made ones count as the home store’s',
      security: signedIn,
      parameters: [path('id', 'Member id'), { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }],
      responses: { '200': json({ type: 'object', properties: { transactions: { type: 'array', items: transaction } } }, 'Transactions'), '404': notFound, ...common },
    },
  },
  '/sales/{id}': {
    get: { summary: 'A sale and its refunds, when its store is in the caller’s scope (member.read)', security: signedIn, parameters: [path('id', 'Sale id')], responses: { '200': json({ type: 'object' }, 'The sale'), '404': notFound, ...common } },
  },
} as const;
