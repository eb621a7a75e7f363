import { Field, Int, ObjectType } from 'type-graphql';
import type { ArtifactRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { DateTime, JSONScalar, Node } from '../common/node.types.js';

@ObjectType('Artifact', { simpleResolvers: true, implements: Node, description: 'A file kept with a run (results.jsonl, plots, logs), stored in the object store.' })
export class Artifact extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: ArtifactRow;

  @Field(() => String, { description: 'File name, unique within its run.' })
  name!: string;

  @Field(() => String, { description: 'MIME type it is served with.' })
  contentType!: string;

  @Field(() => Int, { description: 'Size in bytes.' })
  sizeBytes!: number;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256, for files the lab wrote itself.' })
  sha256!: string | null;

  @Field(() => DateTime, { description: 'When the upload was started.' })
  createdAt!: Date;

  static fromRow(row: ArtifactRow): Artifact {
    return Object.assign(new Artifact(), {
      id: toGlobalId('Artifact', row.id),
      row,
      name: row.name,
      contentType: row.contentType,
      sizeBytes: row.sizeBytes,
      sha256: row.sha256,
      createdAt: row.createdAt,
    });
  }
}

@ObjectType('ArtifactUpload', { simpleResolvers: true, description: 'Where to PUT an artifact\'s bytes, then call completeArtifactUpload.' })
export class ArtifactUpload {
  @Field(() => Artifact, { description: 'The artifact, not yet listed on its run.' })
  artifact!: Artifact;

  @Field(() => String, { description: 'Presigned PUT URL.' })
  url!: string;

  @Field(() => JSONScalar, { description: 'Headers the PUT must carry exactly.' })
  headers!: Record<string, string>;

  @Field(() => DateTime, { description: 'When the URL stops working.' })
  expiresAt!: Date;
}
