import { IsOptional, Matches, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { OptionalText, RequiredText } from '../common/validation.js';
import { DatasetFormat } from './datasets.types.js';

@InputType('CreateDatasetInput', { description: 'A new, empty dataset; upload its first version with createDatasetUpload.' })
export class CreateDatasetInput {
  @Field(() => String, { description: 'Name in this project, unique; 1 to 200 characters.' })
  @RequiredText(200)
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  @OptionalText(10_000)
  description?: string | null;
}

@InputType('CreateDatasetUploadInput', { description: 'The file about to be uploaded as the next version.' })
export class CreateDatasetUploadInput {
  @Field(() => ID, { description: 'The dataset to add a version to.' })
  datasetId!: string;

  @Field(() => DatasetFormat, { description: 'How the file is written.' })
  format!: DatasetFormat;

  @Field(() => Int, { description: 'Exact size of the file in bytes.' })
  @Min(1, { message: 'sizeBytes must be at least 1: an empty file has no rows' })
  sizeBytes!: number;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the file; when given, the store verifies it.' })
  @IsOptional()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'sha256 must be 64 hexadecimal characters' })
  sha256?: string | null;
}

@InputType('CompletedPartInput', { description: 'A part that was uploaded, with the ETag its PUT answered.' })
export class CompletedPartInput {
  @Field(() => Int, { description: 'The part number from DatasetUpload.parts.' })
  @Min(1, { message: 'partNumber must be at least 1' })
  partNumber!: number;

  @Field(() => String, { description: 'The ETag response header of the part\'s PUT, quotes included.' })
  @RequiredText(200)
  etag!: string;
}
