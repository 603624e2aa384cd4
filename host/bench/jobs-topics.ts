// The Jobs topics under $aws/things/<thing>/jobs/, as AWS lists them
// (https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html#reserved-topics-job):
// devices publish requests (get, start-next, <jobId>/get, <jobId>/update, or
// any other topic there, answered InvalidTopic); the service alone publishes
// notify, notify-next and every .../accepted and .../rejected.

const JOBS_TOPIC = /^\$aws\/things\/([^/]+)\/jobs\/(.+)$/;

/** The thing and the part after jobs/ of a Jobs topic, or undefined for any other topic. */
export function jobsTopic(topic: string): { thing: string; request: string } | undefined {
  const m = JOBS_TOPIC.exec(topic);
  return m ? { thing: m[1], request: m[2] } : undefined;
}

/** Is jobs/<request> one of the topics only the Jobs service publishes to? */
export const isServiceTopic = (request: string): boolean => request === "notify" || request === "notify-next" || /\/(accepted|rejected)$/.test(request);
