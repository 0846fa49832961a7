/** OpenAPI paths of the catalog routes (routes-catalog.ts); openapi.ts spreads them into its `paths`. */

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json({ $ref: '#/components/schemas/Error' }, description);
const signedIn = [{ bearer: [] }];
const sku = { name: 'sku', in: 'path', required: true, description: 'The product’s SKU', schema: { type: 'string' } };
const common = {
  '401': error('Not signed in, or the session has expired (code UNAUTHENTICATED)'),
  '403': error('Needs catalog.write at HQ (code FORBIDDEN)'),
};
const minor = { type: 'integer', minimum: 0 };
const product = {
  type: 'object',
  required: ['sku', 'barcode', 'name', 'nameZh', 'category', 'priceMinor', 'excludedFromMemberBenefits', 'active'],
  properties: {
    sku: { type: 'string' },
    barcode: { type: 'string', description: 'EAN/UPC, 8 to 14 digits, check digit verified' },
    name: { type: 'string' },
    nameZh: { type: 'string' },
    category: { type: 'string' },
    priceMinor: { ...minor, description: 'Price per unit in minor units (for an item sold by weight, its shelf price per kg; not charged per unit)' },
    excludedFromMemberBenefits: { type: 'boolean' },
    active: { type: 'boolean' },
    plu: { type: 'string', pattern: '^\\d{1,8}$', description: 'The item number its scale labels carry (leading zeros not significant; one product per PLU)' },
    soldBy: { type: 'string', enum: ['unit', 'weight'] },
    pricePerKgMinor: { type: 'integer', minimum: 1, description: 'Minor units per kilogram; required for, and only for, soldBy = weight' },
  },
};

export const catalogApiPaths = {
  '/products/{sku}': {
    get: {
      summary: 'A product of the chain’s catalog',
      security: signedIn,
      parameters: [sku],
      responses: { '200': json(product, 'The product'), '404': error('No such product (code NOT_FOUND)'), ...common },
    },
    put: {
      summary: 'Create or change a product (HQ only; audited; terminals pull it as a Product change)',
      security: signedIn,
      parameters: [sku],
      requestBody: { required: true, content: { 'application/json': { schema: { ...product, required: ['barcode', 'name', 'nameZh', 'category', 'priceMinor'] } } } },
      responses: {
        '200': json(product, 'The product as stored'),
        '400': error('Malformed product, or sold by weight without a price per kg (code VALIDATION_FAILED)'),
        '409': error('Its barcode or PLU belongs to another product (code CONFLICT)'),
        ...common,
      },
    },
  },
};
