import { useSyncExternalStore } from 'react';
import { getConnectivity, subscribeConnectivity, type ConnectivitySnapshot } from '../lib/connectivity.js';

export function useConnectivity(): ConnectivitySnapshot {
  return useSyncExternalStore(subscribeConnectivity, getConnectivity);
}
