import { Type, type TProperties, type TSchema } from 'typebox';

/** Request bodies refuse unknown fields (API.md conventions). */
export const Body = <P extends TProperties>(properties: P) => Type.Object(properties, { additionalProperties: false });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  // A problem may carry more, e.g. the package offer of a 402.
  { additionalProperties: true },
);

/** Every route answers its errors as problem+json. */
export const problemResponses = { '4xx': Problem, '5xx': Problem } as const;

export const NAME_LENGTH_MAX = 200;
export const TEXT_LENGTH_MAX = 5_000;
export const EMAIL_LENGTH_MAX = 254;
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
/** Minor units; fits a 32-bit integer column. */
export const MONEY_AMOUNT_MAX = 100_000_000;

export const Id = Type.String({ minLength: 1, maxLength: 100 });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const Instant = Type.String({ format: 'date-time' });
export const LocalDate = Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const WallTime = Type.String({ pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$' });
export const Email = Type.String({ format: 'email', maxLength: EMAIL_LENGTH_MAX });
/** One line of text: a name goes into mail subjects and bodies, where a line break could forge content. */
export const Name = Type.String({ minLength: 1, maxLength: NAME_LENGTH_MAX, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$' });
export const Money = Type.Object(
  { amount: Type.Integer({ minimum: 0, maximum: MONEY_AMOUNT_MAX }), currency: Type.String({ pattern: '^[A-Z]{3}$' }) },
  { additionalProperties: false },
);
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_LIMIT_MAX })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

export const Collection = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
