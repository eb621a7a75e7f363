import { Field, ID, InterfaceType, ObjectType } from 'type-graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

export const DateTime = DateTimeResolver;
export const JSONScalar = JSONResolver;

@InterfaceType('Node', { description: 'Every entity has an opaque global ID; node(id:) resolves any of them.' })
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global ID; pass it to node(id:) or to any argument taking this type.' })
  id!: string;
}

@ObjectType('PageInfo', { simpleResolvers: true, description: 'Where a page of a connection sits in the whole list.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'True when more items follow endCursor.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'True when items precede startCursor (the page was asked with after).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item of the page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item; pass it as after for the next page.' })
  endCursor!: string | null;
}
