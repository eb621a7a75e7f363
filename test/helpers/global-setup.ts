import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/storage/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** An admin connection and a migrated template, for tests that need a database of their own. */
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

const urlOf = (adminUrl: string, database: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

/**
 * A migrated template database for this run, and the shared test database made from it; both
 * dropped and made anew so every run starts from the migrations.
 */
export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = process.env.TEST_DATABASE_NAME || 'llm_lab_test';
  if (!/^\w+$/.test(name)) throw new Error(`TEST_DATABASE_NAME must be letters, digits and _ (got ${name})`);
  const template = `${name}_template`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const leftovers = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`${name}\\_%`} or datname = ${name}`;
    for (const { datname } of leftovers) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.unsafe(`create database ${template}`);
    await migrateDatabase(urlOf(adminUrl, template));
    await admin.unsafe(`create database ${name} template ${template}`);
  } catch (err) {
    throw new Error(`Cannot prepare the test databases through ${adminUrl} (set TEST_POSTGRES_URL): ${(err as Error).message}`);
  } finally {
    await admin.end();
  }
  project.provide('databaseUrl', urlOf(adminUrl, name));
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', template);
}
