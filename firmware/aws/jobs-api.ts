// AWS IoT Jobs' own names: execution statuses and error codes, shared by the
// device's Jobs client and the bench that stands in for AWS (no interpreter
// API here, so both can import it; the device imports only the types).
// https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html

/** A job execution's statuses, as AWS IoT Jobs names them. */
export const EXECUTION_STATUSES = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT", "CANCELED", "REMOVED"] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** AWS's own error codes: the Jobs MQTT API's ErrorResponse (the bench answers with these too). */
export type AwsJobsErrorCode =
  | "InvalidTopic"
  | "InvalidJson"
  | "InvalidRequest"
  | "InvalidStateTransition"
  | "ResourceNotFound"
  | "VersionMismatch"
  | "InternalError"
  | "RequestThrottled"
  | "TerminalStateReached";
