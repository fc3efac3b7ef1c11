import { fanoutFunction } from '../lib/shells/lambda/fn/fanout.js';

export const handler = fanoutFunction();
