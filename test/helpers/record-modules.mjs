// `RECORD_MODULES=<file> node --import ./record-modules.mjs ...`: appends to that file, one per line,
// every module of the lab's src/ (or dist/src/) folder the process resolves, in order.
import { register } from 'node:module';

if (process.env.RECORD_MODULES) register('./record-modules-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_MODULES } });
