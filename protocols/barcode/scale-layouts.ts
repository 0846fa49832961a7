import { z } from 'zod';
import { ProtocolError } from '../errors';
import { assertLayout } from './variable-measure';

/**
 * Validation of scale-label layouts where they enter: a chain setting at HQ, a store's
 * devices.json. A layout is accepted only when the decoder (variable-measure.ts) can read it.
 */

/** One layout whose parts add up to an EAN-13, as assertLayout checks it for the decoder. */
export const scaleLabelLayoutSchema = z
  .object({
    prefixes: z.array(z.string().regex(/^2\d?$/, 'a scale-label prefix is "2" or "2" and one more digit (GS1 in-store numbers)')).min(1).max(10),
    itemDigits: z.number().int().min(1).max(8),
    value: z.enum(['price', 'weight']),
    valueDigits: z.union([z.literal(4), z.literal(5)]),
    valueCheckDigit: z.boolean(),
  })
  .superRefine((layout, ctx) => {
    try {
      assertLayout(layout);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
    }
  });

/**
 * Layouts tried in order (the first whose prefix a code starts with reads it), so a prefix that
 * can never be reached, because a layout before it takes every code it starts, is refused.
 */
export const scaleLabelLayoutsSchema = z
  .array(scaleLabelLayoutSchema)
  .max(8)
  .superRefine((layouts, ctx) => {
    layouts.forEach((layout, i) => {
      for (const prefix of layout.prefixes) {
        const j = layouts.slice(0, i).findIndex((earlier) => earlier.prefixes.some((p) => prefix.startsWith(p)));
        if (j >= 0) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'prefixes'],
            message: `prefix "${prefix}" is never read with this layout: layout ${j} before it reads every code starting with "${layouts[j]!.prefixes.find((p) => prefix.startsWith(p))}"`,
          });
        }
      }
    });
  });
