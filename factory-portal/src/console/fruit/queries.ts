import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSignedIn } from '../../auth/AuthProvider';
import type { components } from '../../../../docs/openapi';

type Schemas = components['schemas'];
export type FruitCatalogue = Schemas['FruitCatalogue'];
export type CatalogueFruit = FruitCatalogue['items'][number];
export type Shortfalls = Schemas['Shortfalls'];
export type PickingList = Schemas['PickingListAll'];
export type BoxStatus = keyof PickingList['boxesByStatus'];
export interface ShipDate {
  shipDate: string;
  boxesByStatus: PickingList['boxesByStatus'];
  shortBoxes: number;
}

/** What an operator may change of a fruit (PATCH /v1/fruits/:id). */
export interface FruitChange {
  ripeningMinDays?: number;
  ripeningMaxDays?: number;
  goodDays?: number;
  seasons?: { origin: string; months: number[] }[];
  ethylene?: { producer: boolean; sensitive: boolean };
  unitCost?: string;
  orchardId?: string | null;
  active?: boolean;
}

/** Every key starts with the operator and the area: nothing cached here is served to anyone else. */
function useKey(...parts: unknown[]): unknown[] {
  return [useSignedIn().session.user.id, 'console-fruit', ...parts];
}

export function useFruitCatalogue() {
  const { api } = useSignedIn();
  return useQuery({ queryKey: useKey('catalogue'), queryFn: () => api.get<FruitCatalogue>('/v1/fruit-catalogue'), staleTime: 0 });
}

export function useUpdateFruit(id: string) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const areaKey = useKey();
  return useMutation({
    mutationFn: (change: FruitChange) => api.patch<CatalogueFruit>(`/v1/fruits/${encodeURIComponent(id)}`, change),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: areaKey }),
  });
}

/** Boxes are planned, locked and re-planned while the operator reads: the ship-date views are asked again every half minute. */
export function useShipDates(from: string) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('ship-dates', from),
    queryFn: () => api.get<{ items: ShipDate[] }>(`/v1/ship-dates?from=${from}&days=28`),
    staleTime: 0,
    refetchInterval: 30_000,
  });
}

export function useShortfalls(shipDate: string) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('shortfalls', shipDate),
    queryFn: () => api.get<Shortfalls>(`/v1/shortfalls?shipDate=${shipDate}`),
    enabled: shipDate !== '',
    staleTime: 0,
    refetchInterval: 30_000,
  });
}

export function usePickingList(shipDate: string) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('picking', shipDate),
    queryFn: () => api.get<PickingList>(`/v1/picking-lists?shipDate=${shipDate}`),
    enabled: shipDate !== '',
    staleTime: 0,
    refetchInterval: 30_000,
  });
}
