/**
 * A GraphQL enum object from the values of a PostgreSQL enum (db/schema.ts `pgEnum(...).enumValues`),
 * so each enum is written once: `registerEnumType(enumObject(roleEnum.enumValues), ...)`.
 */
export function enumObject<const V extends readonly [string, ...string[]]>(values: V): { readonly [K in V[number]]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { readonly [K in V[number]]: K };
}
