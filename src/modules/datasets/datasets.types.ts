import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { datasetFormatEnum, datasetVersionStatusEnum, type DatasetRow as DatasetDbRow, type DatasetVersionRow } from '../../db/schema.js';
import { enumObject } from '../common/enums.js';
import { toGlobalId } from '../../common/global-id.js';
import { connectionType } from '../common/connection.js';
import { DateTime, JSONScalar, Node } from '../common/node.types.js';

export const DatasetFormat = enumObject(datasetFormatEnum.enumValues);
export type DatasetFormat = (typeof datasetFormatEnum.enumValues)[number];
registerEnumType(DatasetFormat, {
  name: 'DatasetFormat',
  description: 'How a dataset file is written.',
  valuesConfig: {
    JSONL: { description: 'One object a line: {"input": {...}, "expected": ..., "metadata": {...}}.' },
    CSV: { description: 'A header row; column "expected" is the expected output, "metadata" optional JSON, the others are input fields.' },
  },
});

export const DatasetVersionStatus = enumObject(datasetVersionStatusEnum.enumValues);
export type DatasetVersionStatus = (typeof datasetVersionStatusEnum.enumValues)[number];
registerEnumType(DatasetVersionStatus, {
  name: 'DatasetVersionStatus',
  description: 'Where a dataset version is between upload and use.',
  valuesConfig: {
    AWAITING_UPLOAD: { description: 'Upload URLs were issued; completeDatasetUpload has not been called.' },
    VALIDATING: { description: 'The file is uploaded and being read row by row.' },
    READY: { description: 'Valid: runs can use it.' },
    FAILED: { description: 'Not valid; errors say why, by line.' },
  },
});

@ObjectType('Dataset', { simpleResolvers: true, implements: Node, description: 'Named rows to run prompts over; each upload makes a new immutable version.' })
export class Dataset extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: DatasetDbRow;

  @Field(() => String, { description: 'Name in this project, unique.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the rows are.' })
  description!: string | null;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  static fromRow(row: DatasetDbRow): Dataset {
    return Object.assign(new Dataset(), {
      id: toGlobalId('Dataset', row.id),
      row,
      name: row.name,
      description: row.description,
      createdAt: row.createdAt,
    });
  }
}

@ObjectType('DatasetRowError', { simpleResolvers: true, description: 'Why one line of a dataset file is not valid.' })
export class DatasetRowError {
  @Field(() => Int, { description: '1-based line of the file (for CSV, where the record starts).' })
  line!: number;

  @Field(() => String, { description: 'What is wrong and what is allowed.' })
  message!: string;
}

@ObjectType('DatasetRow', { simpleResolvers: true, description: 'One row of a dataset.' })
export class DatasetRow {
  @Field(() => Int, { description: '0-based position among the valid rows.' })
  index!: number;

  @Field(() => JSONScalar, { description: 'The input fields, which prompt templates read.' })
  input!: Record<string, unknown>;

  @Field(() => JSONScalar, { nullable: true, description: 'The expected output, for evaluators.' })
  expected!: unknown;

  @Field(() => JSONScalar, { nullable: true, description: 'Free-form data carried with the row.' })
  metadata!: Record<string, unknown> | null;
}

@ObjectType('DatasetVersion', { simpleResolvers: true, implements: Node, description: 'One uploaded file of a dataset; immutable once READY.' })
export class DatasetVersion extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: DatasetVersionRow;

  @Field(() => Int, { description: 'Numbered from 1 within its dataset.' })
  version!: number;

  @Field(() => DatasetVersionStatus, { description: 'Where it is between upload and use.' })
  status!: DatasetVersionStatus;

  @Field(() => DatasetFormat, { description: 'How the file is written.' })
  format!: DatasetFormat;

  @Field(() => Int, { nullable: true, description: 'The file size declared at upload, in bytes (checked when the upload completes).' })
  sizeBytes!: number | null;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the file, once validated.' })
  sha256!: string | null;

  @Field(() => Int, { nullable: true, description: 'Valid rows, once validated.' })
  rowCount!: number | null;

  @Field(() => [String], { description: 'Column names: CSV header order; for JSONL the input keys (sorted), then expected and metadata when present.' })
  columns!: string[];

  @Field(() => [DatasetRowError], { description: 'Why validation failed, by line (the first 100).' })
  errors!: DatasetRowError[];

  @Field(() => DateTime, { description: 'When the upload was started.' })
  createdAt!: Date;

  static fromRow(row: DatasetVersionRow): DatasetVersion {
    return Object.assign(new DatasetVersion(), {
      id: toGlobalId('DatasetVersion', row.id),
      row,
      version: row.version,
      status: row.status,
      format: row.format,
      sizeBytes: row.sizeBytes,
      sha256: row.sha256,
      rowCount: row.rowCount,
      columns: row.columns,
      errors: row.errors,
      createdAt: row.createdAt,
    });
  }
}

@ObjectType('UploadPart', { simpleResolvers: true, description: 'One part of a multipart upload: PUT its bytes to url and keep the ETag header of the answer.' })
export class UploadPart {
  @Field(() => Int, { description: '1-based; part N holds bytes (N-1)*partSizeBytes up to N*partSizeBytes.' })
  partNumber!: number;

  @Field(() => String, { description: 'Presigned PUT URL for this part.' })
  url!: string;
}

@ObjectType('DatasetUpload', { simpleResolvers: true, description: 'Where and how the client uploads the file: one presigned PUT, or presigned parts for a large file.' })
export class DatasetUpload {
  @Field(() => DatasetVersion, { description: 'The new version, AWAITING_UPLOAD.' })
  datasetVersion!: DatasetVersion;

  @Field(() => String, { nullable: true, description: 'Single PUT: the presigned URL (null for multipart).' })
  url!: string | null;

  @Field(() => JSONScalar, { description: 'Headers every PUT must carry exactly (the signature covers them).' })
  headers!: Record<string, string>;

  @Field(() => [UploadPart], { nullable: true, description: 'Multipart: PUT each part, then completeDatasetUpload with the ETags.' })
  parts!: UploadPart[] | null;

  @Field(() => Int, { nullable: true, description: 'Multipart: the size of every part but the last.' })
  partSizeBytes!: number | null;

  @Field(() => DateTime, { description: 'When the URLs stop working; ask for a new upload after that.' })
  expiresAt!: Date;
}

export const DatasetConnection = connectionType(Dataset, 'Dataset');
export const DatasetVersionConnection = connectionType(DatasetVersion, 'DatasetVersion');
