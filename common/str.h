/*
 * str.h - the one definition of white space in ASCII text and the one
 * trim.  White space is the HTML and CSS set: space, tab, LF, FF, CR
 * (not VT).  Text of other scripts has textnorm_is_space (textnorm.h).
 * Pure functions; nothing is allocated or logged.
 */
#ifndef CG_STR_H
#define CG_STR_H

/* 1 when c is space, tab, LF, FF or CR; 0 otherwise. */
int str_is_space(int c);

/* Cut the white space off both ends of s in place: the end by writing a
 * NUL, the start by returning a pointer into s. */
char *str_trim(char *s);

#endif
