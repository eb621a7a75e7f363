import type { TestProject } from 'vitest/node';
import { S3RVER_CREDENTIALS, startS3rver } from './s3rver.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    s3Credentials: { accessKeyId: string; secretAccessKey: string };
    /** True for s3rver, which accepts any signature and has no AbortMultipartUpload. */
    s3IsEmulator: boolean;
  }
}

/**
 * An S3 endpoint for the tests: TEST_S3_ENDPOINT (with TEST_S3_ACCESS_KEY_ID and
 * TEST_S3_SECRET_ACCESS_KEY) when set, otherwise an s3rver started for this run.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TEST_S3_ENDPOINT;
  if (external) {
    const accessKeyId = process.env.TEST_S3_ACCESS_KEY_ID;
    const secretAccessKey = process.env.TEST_S3_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error('TEST_S3_ENDPOINT is set: also set TEST_S3_ACCESS_KEY_ID and TEST_S3_SECRET_ACCESS_KEY for it');
    }
    project.provide('s3Endpoint', external);
    project.provide('s3Credentials', { accessKeyId, secretAccessKey });
    project.provide('s3IsEmulator', false);
    return undefined;
  }
  const s3rver = await startS3rver();
  project.provide('s3Endpoint', s3rver.endpoint);
  project.provide('s3Credentials', { ...S3RVER_CREDENTIALS });
  project.provide('s3IsEmulator', true);
  return () => s3rver.stop();
}
