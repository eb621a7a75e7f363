import { LocalBlobStore, type LocalBlobStoreOptions } from './local-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';

export * from './blob-store.js';
export { createLocalBlobRouter } from './local-blob-routes.js';
export {
  BlobRequestError,
  LocalBlobStore,
  type DownloadGrant,
  type LocalBlobStoreOptions,
  type OpenedObject,
  type UploadGrant,
} from './local-blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';

export type BlobStoreOptions = ({ kind: 's3' } & S3BlobStoreOptions) | ({ kind: 'local' } & LocalBlobStoreOptions);

/**
 * The adapter the options name. A local store serves its URLs only once
 * `createLocalBlobRouter(store)` is mounted; an S3 store in dev/test may need `ensureBucket()`.
 */
export function createBlobStore(options: { kind: 's3' } & S3BlobStoreOptions): S3BlobStore;
export function createBlobStore(options: { kind: 'local' } & LocalBlobStoreOptions): LocalBlobStore;
export function createBlobStore(options: BlobStoreOptions): S3BlobStore | LocalBlobStore;
export function createBlobStore(options: BlobStoreOptions): S3BlobStore | LocalBlobStore {
  return options.kind === 's3' ? new S3BlobStore(options) : new LocalBlobStore(options);
}
