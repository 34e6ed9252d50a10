// Entry of every worker thread: workers do not inherit the tsx loader that bin/domus.js
// registers, so each registers it before importing its TypeScript module (workerData.entry).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
