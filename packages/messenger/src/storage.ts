/**
 * Where the messenger keeps what must outlive the page or the app process: only the device id
 * (see the README). Any async key-value store fits: React Native's AsyncStorage as it is, or a
 * thin wrapper around `localStorage`. Methods may return a value or a promise.
 *
 * @example
 * ```ts
 * import AsyncStorage from '@react-native-async-storage/async-storage'
 * createMessenger({ baseUrl, appId, platform: 'ios', storage: AsyncStorage })
 *
 * // In a browser:
 * createMessenger({ baseUrl, appId, platform: 'web', storage: localStorage })
 * ```
 */
export interface MessengerStorage {
  getItem(key: string): Promise<string | null> | string | null
  setItem(key: string, value: string): Promise<unknown> | unknown
  removeItem(key: string): Promise<unknown> | unknown
}

/** The default storage: a map in memory, so the device id lasts as long as the messenger object. */
export function memoryStorage(): MessengerStorage {
  const map = new Map<string, string>()
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => map.set(key, value),
    removeItem: (key) => map.delete(key),
  }
}
