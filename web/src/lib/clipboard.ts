/**
 * Copies text. The async Clipboard API needs a secure context; on plain HTTP (a LAN address)
 * fall back to a hidden textarea and execCommand, which every browser still supports.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Permission denied or not focused: try the old way.
  }
  const helper = document.createElement('textarea');
  helper.value = text;
  helper.setAttribute('readonly', '');
  helper.className = 'clipboard-helper';
  document.body.append(helper);
  helper.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    helper.remove();
  }
}
