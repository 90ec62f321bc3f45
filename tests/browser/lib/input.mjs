// Two ways a parent fills in and submits the pages: with a pointer (clicks
// and typing into a clicked field) or with the keyboard alone (Tab, arrow
// keys, Space and Enter, never a click). The journey takes either, so the
// same steps prove both.

// Clicks and fills, the way a mouse or touch user works.
export class Pointer {
  constructor(page, visit) {
    this.page = page;
    this.name = 'pointer';
  }

  async fill(field, text) {
    await field.fill(text);
  }

  // Chooses the option of a select whose visible text is `label`.
  async choose(select, label) {
    await select.selectOption({ label });
  }

  // Styled radio buttons lay their label over the input, so the click lands
  // on the label, as a parent's does. Playwright then verifies the check.
  async check(radio) {
    await radio.check({ force: true });
  }

  // Activates a link or a button.
  async activate(control) {
    await control.click();
  }
}

// Tab, arrow keys, Space and Enter only. Each step tabs forward from where
// the focus is until `control` has it, and fails when the control is not
// reachable within kMaxTabs presses, which is what a keyboard user meets.
// A control whose look does not change when it gets the focus (WCAG 2.4.7:
// focus visible) is reported to `visit` as a problem.
export class Keyboard {
  static kMaxTabs = 60;

  constructor(page, visit) {
    this.page = page;
    this.visit = visit;
    this.name = 'keyboard';
  }

  async fill(field, text) {
    await this.focus(field);
    // Replaces what the field holds, as a redisplayed form keeps values.
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.press('Backspace');
    await this.page.keyboard.type(text);
  }

  // Moves a focused select with the arrow keys until its visible text is `label`.
  async choose(select, label) {
    await this.focus(select);
    const count = await select.locator('option').count();
    for (let step = 0; step <= count; ++step) {
      const selectedText =
        await select.evaluate((element) => element.selectedOptions[0]?.text ?? '');
      if (selectedText === label) return;
      await this.page.keyboard.press(step < count ? 'ArrowDown' : 'Home');
    }
    throw new Error(`the arrow keys never selected "${label}"`);
  }

  // Tab reaches one radio of a group and the arrow keys move within it.
  async check(radio) {
    const name = await radio.getAttribute('name');
    await this.#tabUntil(async () => this.page.evaluate(
      (group) => document.activeElement?.type === 'radio' && document.activeElement.name === group,
      name), `a radio button of "${name}"`);
    const total = await this.page.locator(`input[type=radio][name="${name}"]`).count();
    for (let step = 0; step < total; ++step) {
      if (await isFocused(radio)) {
        await this.page.keyboard.press('Space');
        return;
      }
      await this.page.keyboard.press('ArrowDown');
    }
    throw new Error(`the arrow keys never reached the radio button ${radio}`);
  }

  // Enter follows a link or presses a button.
  async activate(control) {
    await this.focus(control);
    await this.page.keyboard.press('Enter');
  }

  async focus(control) {
    await control.waitFor();
    if (await isFocused(control)) return;
    const unfocused = await focusStyle(control);
    await this.#tabUntil(() => isFocused(control), String(control));

    // The focus must change how the control looks: its outline (the
    // browser's focus ring included), shadow, colours, border or underline.
    if ((await focusStyle(control)) === unfocused) {
      const path = new URL(this.page.url()).pathname;
      this.visit?.report(`${path}: ${control} has the focus but no visible focus indicator`);
    }
  }

  async #tabUntil(focused, what) {
    for (let presses = 0; presses <= Keyboard.kMaxTabs; ++presses) {
      if (await focused()) return;
      await this.page.keyboard.press('Tab');
    }
    throw new Error(`${Keyboard.kMaxTabs} presses of Tab never reached ${what}`);
  }
}

// Returns the computed styles that a focus indicator changes, as one string.
function focusStyle(locator) {
  return locator.evaluate((element) => {
    const style = getComputedStyle(element);
    return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow,
      style.backgroundColor, style.color, style.borderColor, style.textDecorationLine,
      style.textDecorationThickness].join('|');
  });
}

function isFocused(locator) {
  return locator.evaluate((element) => element === document.activeElement);
}

// Fills the day, month and year fields of the date group named `legend`.
export async function fillDate(input, page, legend, date) {
  const group = page.getByRole('group', { name: legend });
  await input.fill(group.getByLabel('Day'), date.day);
  await input.fill(group.getByLabel('Month'), date.month);
  await input.fill(group.getByLabel('Year'), date.year);
}

// Returns the page's main heading.
export function heading(page) {
  return page.getByRole('heading', { level: 1 });
}
