// Distances as a duty officer reads them: metres with feet (vertical) or nautical miles
// (horizontal) beside them.

const feetPerMetre = 1 / 0.3048;
const metresPerNm = 1852;

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const hundredths = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "1,852 m (1.00 NM)". */
export function horizontal(metres: number): string {
  return `${whole.format(metres)} m (${hundredths.format(metres / metresPerNm)} NM)`;
}

/** "152 m (499 ft)". */
export function vertical(metres: number): string {
  return `${whole.format(metres)} m (${whole.format(metres * feetPerMetre)} ft)`;
}

/** "FL300"-like height for a label: metres and feet. */
export function altitude(metres: number): string {
  return `${whole.format(metres)} m / ${whole.format(metres * feetPerMetre)} ft`;
}

/** A position in decimal degrees with hemisphere letters: "35.0000N 38.1000E". */
export function position(lat: number, lng: number): string {
  return `${Math.abs(lat).toFixed(4)}${lat >= 0 ? 'N' : 'S'} ${Math.abs(lng).toFixed(4)}${lng >= 0 ? 'E' : 'W'}`;
}
