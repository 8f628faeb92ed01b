/** Hosts on this machine, where plain http never crosses a network. */

/** localhost, 127.0.0.0/8 or [::1], with or without a port: plain http there is allowed (as Docker does for registries). */
export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}
