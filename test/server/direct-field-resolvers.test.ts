import { Min } from 'class-validator';
import { execute, graphql, parse, subscribe, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { Arg, Authorized, buildSchema, Ctx, Field, FieldResolver, InputType, Int, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { callFieldResolversDirectly, callSubscriptionResolversDirectly } from '../../src/server/direct-field-resolvers.js';

@ObjectType('Shelf', { simpleResolvers: true })
class Shelf {
  @Field(() => String)
  name!: string;
}

@InputType('Range')
class Range {
  @Field(() => Int)
  @Min(1, { message: 'from must be at least 1' })
  from!: number;
}

interface TestContext {
  role: string;
  calls: string[];
}

@Resolver(() => Shelf)
class ShelfResolver {
  @Query(() => Shelf)
  shelf(): Shelf {
    return Object.assign(new Shelf(), { name: 'top' });
  }

  @FieldResolver(() => String)
  label(@Root() shelf: Shelf, @Ctx() ctx: TestContext, @Arg('suffix', () => String, { nullable: true }) suffix?: string): string {
    ctx.calls.push('label');
    return `${shelf.name}${suffix ?? ''}`;
  }

  @FieldResolver(() => Int)
  books(@Root() _shelf: Shelf, @Arg('range', () => Range) range: Range): number {
    return range.from;
  }

  @Authorized('ADMIN')
  @FieldResolver(() => String)
  secret(): string {
    return 'hidden';
  }
}

describe('field resolvers called straight from graphql', () => {
  let schema: GraphQLSchema;
  let replaced: number;
  const run = (source: string, role = 'VIEWER') => graphql({ schema, source, contextValue: { role, calls: [] } satisfies TestContext });

  beforeAll(async () => {
    schema = await buildSchema({
      resolvers: [ShelfResolver],
      authChecker: ({ context }: { context: TestContext }, roles: string[]) => roles.includes(context.role),
      validate: { forbidUnknownValues: false },
    });
    replaced = callFieldResolversDirectly(schema);
  });

  it('replaces only the resolvers whose parameters pass as graphql gives them', () => {
    expect(replaced).toBe(1);
  });

  it('passes the root, the context and scalar arguments as type-graphql did', async () => {
    const result = await run('{ shelf { a: label b: label(suffix: "!") } }');
    expect(result.data).toEqual({ shelf: { a: 'top', b: 'top!' } });
  });

  it('keeps validating input-type arguments', async () => {
    const result = await run('{ shelf { books(range: { from: 0 }) } }');
    expect(result.errors?.[0]?.message).toContain('Argument Validation Error');
    expect((await run('{ shelf { books(range: { from: 3 }) } }')).data).toEqual({ shelf: { books: 3 } });
  });

  it('keeps the role check of an @Authorized field', async () => {
    expect((await run('{ shelf { secret } }')).errors?.[0]?.message).toMatch(/Access denied/);
    expect((await run('{ shelf { secret } }', 'ADMIN')).data).toEqual({ shelf: { secret: 'hidden' } });
  });
});

@Resolver()
class BellResolver {
  @Query(() => String)
  ok(): string {
    return 'ok';
  }

  @Authorized('ADMIN')
  @Subscription(() => String, {
    subscribe: async function* () {
      yield 1;
      yield 2;
    },
  })
  bell(@Root() n: number, @Arg('prefix', () => String) prefix: string): string {
    return `${prefix}${n}`;
  }
}

describe('subscription resolvers called straight from graphql', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildSchema({
      resolvers: [BellResolver],
      authChecker: ({ context }: { context: TestContext }, roles: string[]) => roles.includes(context.role),
      validate: { forbidUnknownValues: false },
      pubSub: { publish: () => {}, subscribe: () => (async function* () {})() },
    });
    expect(callSubscriptionResolversDirectly(schema, [BellResolver])).toBe(1);
  });
  const document = parse('subscription { bell(prefix: "#") }');

  it('keeps the role check when subscribing', async () => {
    const refused = (await subscribe({ schema, document, contextValue: { role: 'VIEWER', calls: [] } })) as ExecutionResult;
    expect(refused.errors?.[0]?.message).toMatch(/Access denied/);
  });

  it('resolves each event in the call, with its arguments', async () => {
    const stream = (await subscribe({ schema, document, contextValue: { role: 'ADMIN', calls: [] } })) as AsyncIterableIterator<ExecutionResult>;
    const seen = [];
    for await (const result of stream) seen.push(result.data);
    expect(seen).toEqual([{ bell: '#1' }, { bell: '#2' }]);
    // No promise per event: what the fan-out needs to write a result in the publisher's call.
    const result = execute({ schema, document, rootValue: 3, contextValue: { role: 'ADMIN', calls: [] } });
    expect(result).not.toBeInstanceOf(Promise);
    expect((result as ExecutionResult).data).toEqual({ bell: '#3' });
  });
});
