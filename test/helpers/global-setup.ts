import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/storage/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/** A database of its own for this test run, dropped and made anew so every run starts from the migrations. */
export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = process.env.TEST_DATABASE_NAME || 'llm_lab_test';
  if (!/^\w+$/.test(name)) throw new Error(`TEST_DATABASE_NAME must be letters, digits and _ (got ${name})`);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } catch (err) {
    throw new Error(`Cannot prepare the test database through ${adminUrl} (set TEST_POSTGRES_URL): ${(err as Error).message}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  project.provide('databaseUrl', url.toString());
}
