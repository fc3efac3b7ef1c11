import { stageFunction } from '../lib/shells/lambda/fn/stage.js';

export const handler = stageFunction();
