/** Query parameters whose values are secrets by their name. */
const SECRET_NAME = /key|token|auth|secret|passw|signature|credential/i;
/** A value that is one of this service's keys, whatever the parameter is called. */
const KEY_VALUE = /^(ft_|Bearer\s|Basic\s)/i;

/**
 * The URL with secret-looking query values replaced by `[redacted]`: a key sent in the query string is refused,
 * and must not then be echoed in a problem's `instance` or written to a log.
 */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const parts = url
    .slice(at + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      const name = safeDecode(part.slice(0, eq));
      const value = safeDecode(part.slice(eq + 1));
      return SECRET_NAME.test(name) || KEY_VALUE.test(value) ? `${part.slice(0, eq)}=[redacted]` : part;
    });
  return `${url.slice(0, at)}?${parts.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
