import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { msg } from '../i18n/message';
import { chinaToday, isCalendarDate } from '../time/china-time';
import { messageMarker } from './validation';

/** `@Validate(CalendarDate)`: a real calendar date `YYYY-MM-DD`. */
@ValidatorConstraint({ name: 'isCalendarDate' })
export class CalendarDate implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isCalendarDate(value);
  }
  defaultMessage(args: ValidationArguments): string {
    return messageMarker(msg('field.calendarDate', { field: args.property }));
  }
}

/** `@Validate(FutureDate)`: a date after today in China (a validity's last day, say). */
@ValidatorConstraint({ name: 'isFutureDate' })
export class FutureDate implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && value > chinaToday();
  }
  defaultMessage(args: ValidationArguments): string {
    return messageMarker(msg('field.futureDate', { field: args.property }));
  }
}
