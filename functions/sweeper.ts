import { sweeperFunction } from '../lib/shells/lambda/fn/sweeper.js';

export const handler = sweeperFunction();
