// Runs SQLite WAL checkpoints on a worker thread with its own connection, so that the fsyncs and
// page copies of a checkpoint never stall the event loop that serves requests.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file);
db.pragma('busy_timeout = 1000');

const timer = setInterval(() => {
  try {
    // PASSIVE never blocks the writer; pages still in use by a reader are left for the next round.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy or closing: try again next round
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort?.close();
  }
});
