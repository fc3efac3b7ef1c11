import { deadLettersFunction } from '../lib/shells/lambda/fn/dead-letters.js';

export const handler = deadLettersFunction();
