import { Router, type NextFunction, type Request, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { BlobExistsError, BlobInputError, BlobNotFoundError, contentDisposition } from './blob-store.js';
import { BlobRequestError, type LocalBlobStore } from './local-blob-store.js';
import { ErrorCode } from '../../common/errors.js';

/** The lab's code for a refused blob request's status: the same error shape as every other response. */
const CODE_OF_STATUS: Record<number, ErrorCode> = { 400: ErrorCode.BAD_REQUEST, 403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND, 409: ErrorCode.CONFLICT, 413: ErrorCode.BAD_REQUEST };

interface KeyParams {
  key: string[];
}

/**
 * Serves the URLs a LocalBlobStore signs: `PUT /blobs/<key>` (whole objects and multipart parts)
 * and `GET|HEAD /blobs/<key>`; a PUT to a key that already holds an object is answered 409 (write-once).
 * Mount it where the store's publicBaseUrl points, before any body parser: it reads the raw
 * request stream itself.
 */
export function createLocalBlobRouter(store: LocalBlobStore): Router {
  const router = Router();
  router.use('/blobs', allowCrossOrigin);
  router.put('/blobs/*key', (req: Request<KeyParams>, res, next) => receiveUpload(store, req, res, next));
  router.get('/blobs/*key', (req: Request<KeyParams>, res, next) => sendObject(store, req, res, next));
  return router;
}

/** The URLs are bearer capabilities and carry no cookies, so any origin (a browser console) may use them. */
function allowCrossOrigin(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, Content-Length, Content-Disposition');
  if (req.method !== 'OPTIONS') {
    next();
    return;
  }
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, PUT');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
  res.setHeader('Access-Control-Max-Age', '600');
  res.status(204).end();
}

async function receiveUpload(store: LocalBlobStore, req: Request<KeyParams>, res: Response, next: NextFunction): Promise<void> {
  try {
    const grant = store.verifyUpload(req.params.key.join('/'), queryOf(req));
    if (grant.kind === 'object' && req.get('content-type') !== grant.contentType) {
      throw new BlobRequestError(403, `Send Content-Type: ${grant.contentType}, the type the URL was signed for`);
    }
    const declaredLength = req.get('content-length');
    if (declaredLength !== undefined && Number(declaredLength) > grant.sizeBytes) {
      throw new BlobRequestError(413, `Content-Length ${declaredLength} is more than the ${grant.sizeBytes} bytes the URL was signed for`);
    }
    if (declaredLength !== undefined && Number(declaredLength) < grant.sizeBytes) {
      throw new BlobRequestError(400, `Content-Length ${declaredLength} is less than the ${grant.sizeBytes} bytes the URL was signed for`);
    }
    const { etag } = await store.receiveUpload(grant, req);
    res.setHeader('ETag', etag);
    res.status(200).end();
  } catch (error) {
    refuse(error, req, res, next);
  }
}

async function sendObject(store: LocalBlobStore, req: Request<KeyParams>, res: Response, next: NextFunction): Promise<void> {
  try {
    const grant = store.verifyDownload(req.params.key.join('/'), queryOf(req));
    const object = await store.openObject(grant.key);
    res.setHeader('Content-Type', object.contentType ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(object.sizeBytes));
    if (grant.fileName !== undefined) res.setHeader('Content-Disposition', contentDisposition(grant.fileName));
    // Uploaded content is served from the gateway's origin: never let a browser run it as a page.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    // Node would drop a HEAD body anyway: spare reading the file.
    if (req.method === 'HEAD') {
      object.stream.destroy();
      res.end();
      return;
    }
    await pipeline(object.stream, res);
  } catch (error) {
    // Once streaming started, pipeline has already closed both ends (usually the client went away).
    if (!res.headersSent) refuse(error, req, res, next);
  }
}

/** Conflict rather than 412 for a taken key: the client sent no precondition, the store is write-once. */
function refuse(error: unknown, req: Request<KeyParams>, res: Response, next: NextFunction): void {
  const status =
    error instanceof BlobRequestError
      ? error.status
      : error instanceof BlobNotFoundError
        ? 404
        : error instanceof BlobExistsError
          ? 409
          : error instanceof BlobInputError
            ? 400
            : undefined;
  if (status === undefined) {
    next(error);
    return;
  }
  // Close rather than read the rest of a refused body only to throw it away.
  if (!req.complete) res.setHeader('Connection', 'close');
  const code = CODE_OF_STATUS[status] ?? ErrorCode.BAD_REQUEST;
  res.status(status).json({ errors: [{ message: (error as Error).message, extensions: { code, requestId: res.locals.requestId } }] });
}

function queryOf(req: Request<KeyParams>): URLSearchParams {
  return new URL(req.url, 'http://blob.invalid').searchParams;
}
