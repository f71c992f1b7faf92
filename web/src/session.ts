/**
 * The API key for this tab: kept in session storage (gone when the tab closes), sent only in the Authorization
 * header, never put in a URL.
 */
const STORAGE_KEY = 'finetuned.apiKey';

export const storedKey = (): string | null => sessionStorage.getItem(STORAGE_KEY);

export const storeKey = (key: string): void => sessionStorage.setItem(STORAGE_KEY, key);

export const forgetKey = (): void => sessionStorage.removeItem(STORAGE_KEY);
