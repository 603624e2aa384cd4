// Topic filters (MQTT 3.1.1 section 4.7): which filter a published topic matches.

/**
 * True when `topic` matches `filter`: `+` is one whole level, `#` the rest
 * (including the parent level: "a/#" matches "a"). Wildcards at the first level
 * do not match topics starting with "$" (section 4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charAt(0) === "$" && (filter.charAt(0) === "+" || filter.charAt(0) === "#")) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
