import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningS3rver {
  /** Base URL for `S3Client({ endpoint, forcePathStyle: true })`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** s3rver's built-in account: any other key is refused with InvalidAccessKeyId. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const STARTUP_TIMEOUT_MS = 15_000;

/**
 * Starts s3rver in a child process on a free port of 127.0.0.1, storing its data in a fresh
 * temporary folder that stop() removes.
 */
export async function startS3rver(): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 17+ only offers
  // through the legacy OpenSSL provider.
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', bin, '--address', '127.0.0.1', '--port', '0', '--directory', directory, '--silent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test run that crashes before stop() must not leave the server running.
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  };

  try {
    // Port 0 lets the OS pick the port; s3rver prints the one it got even with --silent.
    const port = await new Promise<number>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`s3rver did not report its port within ${STARTUP_TIMEOUT_MS} ms; output: ${output}`)),
        STARTUP_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /listening on [^:\s]+:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited during startup (code ${code}, signal ${signal}); output: ${output}`));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(endpoint);
    return { endpoint, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitUntilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    try {
      // Any HTTP answer (an unauthenticated ListBuckets gives one) means the server is serving.
      await fetch(endpoint);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`s3rver at ${endpoint} did not answer within ${STARTUP_TIMEOUT_MS} ms`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
