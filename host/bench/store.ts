// The bench's persistent state in SQLite: things, thing groups, certificates,
// jobs, executions and objects. Every change is written before it is announced, so a
// bench restart (even mid-rollout) picks up exactly where it stopped.
import Database from "better-sqlite3";
import type { Execution, ExecutionStatus } from "./jobs.ts";
import type { Job } from "./job.ts";

export interface Thing {
  thingName: string;
  thingId: string;
  attributes: Record<string, string>;
  createdAt: number;
}

export interface ThingGroup {
  thingGroupName: string;
  thingGroupId: string;
  description?: string;
  attributes: Record<string, string>;
  createdAt: number;
}

export interface StoredObject {
  bucket: string;
  key: string;
  body: Buffer;
  etag: string;
  contentType: string;
  lastModified: number;
}

export interface ObjectStats {
  bucket: string;
  key: string;
  size: number;
  bytesServed: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS things (
  name TEXT PRIMARY KEY, id TEXT NOT NULL, attributes TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS thing_groups (
  name TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS thing_group_members (
  group_name TEXT NOT NULL, thing_name TEXT NOT NULL, PRIMARY KEY (group_name, thing_name));
CREATE TABLE IF NOT EXISTS certificates (
  id TEXT PRIMARY KEY, thing_name TEXT NOT NULL, pem TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
  job_id TEXT NOT NULL, thing_name TEXT NOT NULL, execution_number INTEGER NOT NULL,
  status TEXT NOT NULL, deadline INTEGER, record TEXT NOT NULL,
  PRIMARY KEY (job_id, thing_name));
CREATE INDEX IF NOT EXISTS executions_by_thing ON executions (thing_name);
CREATE INDEX IF NOT EXISTS executions_by_deadline ON executions (deadline) WHERE deadline IS NOT NULL;
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL, etag TEXT NOT NULL,
  content_type TEXT NOT NULL, last_modified INTEGER NOT NULL, bytes_served INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, key));
`;

export class Store {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    // WAL keeps writes cheap during a fleet run; synchronous=NORMAL is still crash-safe for the bench.
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` as one transaction. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // things and certificates

  putThing(t: Thing): void {
    this.db.prepare("INSERT INTO things (name, id, attributes, created_at) VALUES (?, ?, ?, ?)").run(t.thingName, t.thingId, JSON.stringify(t.attributes), t.createdAt);
  }

  getThing(name: string): Thing | undefined {
    const row = this.db.prepare("SELECT * FROM things WHERE name = ?").get(name) as { name: string; id: string; attributes: string; created_at: number } | undefined;
    return row && { thingName: row.name, thingId: row.id, attributes: JSON.parse(row.attributes), createdAt: row.created_at };
  }

  putThingGroup(g: ThingGroup): void {
    this.db.prepare("INSERT INTO thing_groups (name, record) VALUES (?, ?)").run(g.thingGroupName, JSON.stringify(g));
  }

  getThingGroup(name: string): ThingGroup | undefined {
    const row = this.db.prepare("SELECT record FROM thing_groups WHERE name = ?").get(name) as { record: string } | undefined;
    return row && JSON.parse(row.record);
  }

  /** Adds the thing to the group; false when it already was a member. */
  addThingToGroup(groupName: string, thingName: string): boolean {
    return this.db.prepare("INSERT OR IGNORE INTO thing_group_members (group_name, thing_name) VALUES (?, ?)").run(groupName, thingName).changes > 0;
  }

  /** The group's things in the order they joined. */
  thingsInGroup(groupName: string): string[] {
    return (this.db.prepare("SELECT thing_name FROM thing_group_members WHERE group_name = ? ORDER BY rowid").all(groupName) as { thing_name: string }[]).map((r) => r.thing_name);
  }

  putCertificate(certificateId: string, thingName: string, pem: string): void {
    this.db.prepare("INSERT OR REPLACE INTO certificates (id, thing_name, pem) VALUES (?, ?, ?)").run(certificateId, thingName, pem);
  }

  /** The thing a certificate is attached to. */
  thingOfCertificate(certificateId: string): string | undefined {
    const row = this.db.prepare("SELECT thing_name FROM certificates WHERE id = ?").get(certificateId) as { thing_name: string } | undefined;
    return row?.thing_name;
  }

  // jobs and executions

  putJob(job: Job): void {
    // An upsert keeps the row (and its rowid, the listing order) of an updated job.
    this.db
      .prepare("INSERT INTO jobs (id, status, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record")
      .run(job.jobId, job.status, JSON.stringify(job));
  }

  getJob(jobId: string): Job | undefined {
    const row = this.db.prepare("SELECT record FROM jobs WHERE id = ?").get(jobId) as { record: string } | undefined;
    return row && JSON.parse(row.record);
  }

  /** Every job, oldest first. */
  allJobs(): Job[] {
    return (this.db.prepare("SELECT record FROM jobs ORDER BY rowid").all() as { record: string }[]).map((r) => JSON.parse(r.record));
  }

  /** Removes the job and all its executions. */
  deleteJob(jobId: string): void {
    this.atomically(() => {
      this.db.prepare("DELETE FROM executions WHERE job_id = ?").run(jobId);
      this.db.prepare("DELETE FROM jobs WHERE id = ?").run(jobId);
    });
  }

  jobsInProgress(): Job[] {
    return (this.db.prepare("SELECT record FROM jobs WHERE status = 'IN_PROGRESS'").all() as { record: string }[]).map((r) => JSON.parse(r.record));
  }

  putExecution(e: Execution, deadline: number | undefined): void {
    this.db
      .prepare(
        `INSERT INTO executions (job_id, thing_name, execution_number, status, deadline, record) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id, thing_name) DO UPDATE SET execution_number = excluded.execution_number, status = excluded.status, deadline = excluded.deadline, record = excluded.record`,
      )
      .run(e.jobId, e.thingName, e.executionNumber, e.status, deadline ?? null, JSON.stringify(e));
  }

  getExecution(jobId: string, thingName: string): Execution | undefined {
    const row = this.db.prepare("SELECT record FROM executions WHERE job_id = ? AND thing_name = ?").get(jobId, thingName) as { record: string } | undefined;
    return row && JSON.parse(row.record);
  }

  deleteExecution(jobId: string, thingName: string): void {
    this.db.prepare("DELETE FROM executions WHERE job_id = ? AND thing_name = ?").run(jobId, thingName);
  }

  /** The thing's executions, oldest first. */
  executionsOfThing(thingName: string): Execution[] {
    return this.records(this.db.prepare("SELECT record FROM executions WHERE thing_name = ? ORDER BY rowid").all(thingName));
  }

  executionsOfJob(jobId: string, status?: ExecutionStatus): Execution[] {
    const rows = status
      ? this.db.prepare("SELECT record FROM executions WHERE job_id = ? AND status = ? ORDER BY rowid").all(jobId, status)
      : this.db.prepare("SELECT record FROM executions WHERE job_id = ? ORDER BY rowid").all(jobId);
    return this.records(rows);
  }

  countExecutionsOfJob(jobId: string): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM executions WHERE job_id = ?").get(jobId) as { n: number }).n;
  }

  /** Executions whose timer runs out at or before `time`. */
  executionsDueBy(time: number): Execution[] {
    return this.records(this.db.prepare("SELECT record FROM executions WHERE deadline IS NOT NULL AND deadline <= ?").all(time));
  }

  private records(rows: unknown[]): Execution[] {
    return (rows as { record: string }[]).map((r) => JSON.parse(r.record));
  }

  // objects

  putObject(o: StoredObject): void {
    this.db
      .prepare("INSERT OR REPLACE INTO objects (bucket, key, body, etag, content_type, last_modified, bytes_served) VALUES (?, ?, ?, ?, ?, ?, 0)")
      .run(o.bucket, o.key, o.body, o.etag, o.contentType, o.lastModified);
  }

  getObject(bucket: string, key: string): StoredObject | undefined {
    const row = this.db.prepare("SELECT * FROM objects WHERE bucket = ? AND key = ?").get(bucket, key) as
      | { bucket: string; key: string; body: Buffer; etag: string; content_type: string; last_modified: number }
      | undefined;
    return row && { bucket: row.bucket, key: row.key, body: row.body, etag: row.etag, contentType: row.content_type, lastModified: row.last_modified };
  }

  addBytesServed(bucket: string, key: string, bytes: number): void {
    this.db.prepare("UPDATE objects SET bytes_served = bytes_served + ? WHERE bucket = ? AND key = ?").run(bytes, bucket, key);
  }

  objectStats(): ObjectStats[] {
    return this.db.prepare("SELECT bucket, key, length(body) AS size, bytes_served AS bytesServed FROM objects ORDER BY bucket, key").all() as ObjectStats[];
  }
}
