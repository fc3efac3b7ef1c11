import { runWorker } from '../lib/shells/fargate/worker.js';

runWorker();
