/** Body of a crypto worker thread (see crypto-workers.ts). */
import { serveRequests } from '../workers/worker-entry.js';
import { perform } from './crypto-workers.js';

serveRequests(perform);
