export { envLines, run } from './cli.js';
